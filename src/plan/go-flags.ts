// PURE. Reading a Go program's command line (etcd's flags).

/** Go flag value: `--flag v`, `--flag=v`, `-flag v`, `-flag=v`; the last one wins; argv[0] is the program. */
export function flagValue(argv: readonly string[], flag: string): string | null {
  let value: string | null = null;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    for (const prefix of [`--${flag}`, `-${flag}`]) {
      if (a === prefix && i + 1 < argv.length) value = argv[i + 1]!;
      else if (a.startsWith(`${prefix}=`)) value = a.slice(prefix.length + 1);
    }
  }
  return value;
}
