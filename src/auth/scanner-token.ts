// The subject of the registry tokens scangate gives vulnerability scanner adapters with each
// scan request (pull of that one repository, for a few minutes). No account can be named so
// (user and robot names start with a letter or digit), so only scangate's own token service
// mints it. Such a pull skips the vulnerability gate: a scanner must be able to read the image
// the gate blocks in order to rescan it (the malware gate and the token's scope still apply).
export const scannerTokenSubject = { kind: 'robot', name: '-vulnerability-scanner' } as const;

export const scannerTokenSubjectClaim = `${scannerTokenSubject.kind}:${scannerTokenSubject.name}`;

export function isScannerTokenSubject(subject: { kind: string; name: string } | undefined): boolean {
  return subject?.kind === scannerTokenSubject.kind && subject.name === scannerTokenSubject.name;
}
