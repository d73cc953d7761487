// The template files shipped in templates/, next to src/ (tsx) and dist/ (compiled).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LabError } from './errors.js';

export type TemplateName = 'Procfile' | 'etcd-lab.yaml';

/** Where the templates live: `../templates` from both src/templates.ts and dist/templates.js. */
export const templatesDir = fileURLToPath(new URL('../templates/', import.meta.url));

export function readTemplate(name: TemplateName): string {
  const file = `${templatesDir}${name}`;
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new LabError('INTERNAL', `cannot read the ${name} template at ${file}`, {
      hint: 'the etcd-lab installation is incomplete; reinstall it (the package ships a templates/ folder)',
      cause: e,
    });
  }
}
