// Holds every scan of a TestScanner until the returned function is called: content stays
// pending meanwhile (a module test's way to see what a client gets during a long scan).
import type { TestScanner } from './test-scanner.js';

export function holdScans(scanner: TestScanner): () => void {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const scan = scanner.scan.bind(scanner);
  scanner.scan = async (subject) => {
    await held;
    return scan(subject);
  };
  return () => {
    scanner.scan = scan;
    release();
  };
}
