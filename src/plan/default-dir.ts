/** The state folder when neither `--dir` nor the settings file names one. */
export const DEFAULT_DIR = '.etcd-lab';
