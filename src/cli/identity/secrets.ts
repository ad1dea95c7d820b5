// Secrets shown once (generated passwords, robot tokens): the secret alone on stdout, so
// that `TOKEN=$(scangate robot add ...)` captures exactly it, and the explanation on stderr.
// Nothing else ever prints or logs a secret.

export function showSecretOnce(secret: string, what: string): void {
  process.stderr.write(`${what}\nIt is shown only now and cannot be shown again: store it somewhere safe.\n`);
  process.stdout.write(`${secret}\n`);
}
