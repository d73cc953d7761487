// Kubernetes' expansion of a container's command and args: `$(NAME)` becomes the variable's value when the container
// defines NAME, else stays as written; `$$` is a literal `$`. (Kubernetes docs: "Define a Command and Arguments".)
export function expandK8s(text: string, env: Record<string, string>): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== '$' || i + 1 >= text.length) {
      out += c;
      continue;
    }
    const next = text[i + 1]!;
    if (next === '$') {
      out += '$';
      i += 1;
    } else if (next === '(') {
      const end = text.indexOf(')', i + 2);
      const name = end < 0 ? null : text.slice(i + 2, end);
      if (name !== null && Object.hasOwn(env, name)) {
        out += env[name];
        i = end;
      } else out += c;
    } else out += c;
  }
  return out;
}
