// Domain events: what happened, typed where it happens. Every event has the same envelope
// (type, id, time, and the artifact coordinates it is about) and data of its own type, so a
// sink (src/ports/event-sink.ts) can route on the envelope and a receiver can switch on `type`.
//
// `data.report`, where a type has one, is the bulky detail (findings, verdicts): webhook
// subscriptions with payload `summary` leave it out and send a link to it instead.
// Adding a type: a member of eventTypes, an entry in EventData, and docs/webhooks.md.
import { randomUUID } from 'node:crypto';
import { namespaceOf } from './names.js';

export const eventTypes = [
  'artifact.pushed',
  'artifact.pulled',
  'artifact.deleted',
  'scan.started',
  'scan.completed',
  'scan.failed',
  'malware.found',
  'artifact.released',
  'artifact.quarantined',
  'artifact.released_by_hand',
  'pull.denied',
  'vulnerability.found',
  'bucket.object.scanned',
] as const;

export type EventType = (typeof eventTypes)[number];

export function isEventType(value: string): value is EventType {
  return (eventTypes as readonly string[]).includes(value);
}

/** Whether scanned content was a blob (layer, config), a manifest, or an object outside the registry. */
export type ScannedKind = 'blob' | 'manifest';

/** scangate's severity scale (src/vulnerabilities/severity.ts), most severe first. */
export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'unknown';

/** Counts of vulnerabilities by severity (only severities found are present). */
export type SeverityCounts = Partial<Record<Severity, number>>;

export interface VulnerabilityItem {
  cve: string;
  severity: Severity;
  package: string;
  version: string;
  fixedVersion: string | null;
}

/** The type-specific part of each event. */
export interface EventData {
  /** `path`: for a file of the file store (/files/), its path in the repository (no tags). */
  'artifact.pushed': { mediaType: string; size: number; tags: string[]; path?: string };
  'artifact.pulled': { mediaType: string; path?: string };
  /** `tag`: one tag removed (the manifest stays); `manifest`: the manifest and its tags; `file`: a file of the file store. */
  'artifact.deleted': { deleted: 'tag' | 'manifest' | 'file'; path?: string };
  'scan.started': { scanner: string; scan: 'malware' | 'vulnerability'; contentKind: ScannedKind };
  'scan.completed':
    | { scanner: string; scan: 'malware'; contentKind: ScannedKind; verdict: 'clean' | 'infected'; engine: string; durationMs: number; report: { findings: { signature: string }[] } }
    | { scanner: string; scan: 'vulnerability'; contentKind: 'manifest'; total: number; fixable: number; severity: Severity | null; summary: SeverityCounts; report: { vulnerabilities: VulnerabilityItem[] } };
  /** The scan gave up (after its retries): malware scans leave the content `failed` (never served). */
  'scan.failed': { scanner: string; scan: 'malware' | 'vulnerability'; contentKind: ScannedKind; error: string };
  'malware.found': { contentKind: ScannedKind; signatures: string[]; scanners: string[]; action: 'quarantine' | 'delete' };
  'artifact.released': { contentKind: ScannedKind; decidedBy: string };
  /** `previous`: the state before (`clean` when a rescan after a signature update caught it). */
  'artifact.quarantined': { contentKind: ScannedKind; reason: string; decidedBy: string; action: 'quarantine' | 'delete'; previous: string | null };
  'artifact.released_by_hand': { contentKind: ScannedKind; reason: string; previous: string };
  /** `gate`: which decided. `rule`: the policy rule or `vulnerability:<rule>`; `cves`: those that blocked. */
  'pull.denied': { gate: 'policy' | 'vulnerability'; rule: string; reason: string; cves: string[]; report?: { blocking: VulnerabilityItem[] } };
  'vulnerability.found': { scanner: string; total: number; severity: Severity; summary: SeverityCounts; report: { vulnerabilities: VulnerabilityItem[] } };
  /**
   * An object in an S3 bucket scanned from its event notification (the bucket watcher).
   * `verdict` too-large and error are never clean; `action` is what was done to the object.
   */
  'bucket.object.scanned': {
    bucket: string;
    key: string;
    etag: string | null;
    size: number | null;
    verdict: 'clean' | 'infected' | 'error' | 'too-large';
    signatures: string[];
    scanners: string[];
    action: 'tagged' | 'deleted' | 'quarantined' | 'none';
    /** The quarantine bucket, for action `quarantined`. */
    movedTo?: string;
    error?: string;
  };
}

/** Where an event happened; null where it does not apply (a bucket object has no repository). */
export interface EventSubject {
  /** The namespace of `repository` (src/domain/names.ts), which subscriptions filter on. */
  namespace: string | null;
  repository: string | null;
  digest: string | null;
  tag: string | null;
  /** Who caused it: `user:NAME`, `robot:NAME`, `anonymous`, `admin`, `scanner:NAME`; null when unknown (auth off). */
  actor: string | null;
}

export type DomainEventOf<T extends EventType> = EventSubject & {
  type: T;
  /** A UUID; the same event delivered twice (a retry, a replay) keeps it. */
  id: string;
  /** When it happened, ISO 8601 in UTC. */
  time: string;
  data: EventData[T];
};

/** Every event, as a union discriminated by `type`. */
export type DomainEvent = { [T in EventType]: DomainEventOf<T> }[EventType];

/** The coordinates given when emitting; namespace is derived from the repository if left out. */
export type EventSubjectInput = Partial<EventSubject>;

/**
 * A new event of `type`, stamped with a fresh id and the current time; its namespace is the
 * repository's (with the configured namespace prefixes) unless given.
 */
export function newEvent<T extends EventType>(type: T, subject: EventSubjectInput, data: EventData[T], now: Date = new Date()): DomainEventOf<T> {
  return {
    type,
    id: randomUUID(),
    time: now.toISOString(),
    namespace: subject.namespace ?? (subject.repository ? namespaceOf(subject.repository) : null),
    repository: subject.repository ?? null,
    digest: subject.digest ?? null,
    tag: subject.tag ?? null,
    actor: subject.actor ?? null,
    data,
  };
}
