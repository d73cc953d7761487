// The background supervisor's own bundle, dist/cli/supervisor.cjs: launch.cjs runs it for `__supervise` once the
// first stage (supervisor-first.ts) has spawned the members, instead of the CLI's bundle. It holds the supervisor's
// code only (~266 KB of the CLI's 1.4 MB: no command tree, checker or report), so it loads in a fraction of the
// time, on the two cores the starting members share with it (bench/findings.md).
import { enter, exitWith, supervise } from './entry.js';

enter('supervisor');
exitWith(supervise());
