// ScanScheduleStore: the cron schedules of vulnerability scan campaigns made through the admin
// API (those of the config file live there, not here), kept in the metadata database so that
// every process sharing it ticks the same schedules. Adapter: SQL
// (src/metadata/sql-scan-schedule-store.ts); every adapter runs
// src/metadata/scan-schedule-store.suite.ts. The store keeps what it is given: the admin API
// validates a schedule and refuses the names the config file owns.
import type { ScanScope } from '../domain/scan-scope.js';

export interface ScanScheduleDefinition {
  name: string;
  /** A cron expression (5 fields, or 6 with seconds first), read by croner. */
  cron: string;
  /** The IANA time zone the expression is read in; null: UTC. */
  timezone: string | null;
  scope: ScanScope;
  /** Only these scanners; null: every scanner each repository uses. */
  scanners: string[] | null;
  enabled: boolean;
}

export interface StoredScanSchedule {
  schedule: ScanScheduleDefinition;
  createdAt: Date;
  updatedAt: Date;
  /** Who created or last changed it (the admin API's actor). */
  updatedBy: string;
}

export interface ScanScheduleStore {
  /** By name. */
  listSchedules(): Promise<StoredScanSchedule[]>;
  getSchedule(name: string): Promise<StoredScanSchedule | undefined>;
  /** Undefined (nothing changed) when the name is taken. */
  createSchedule(schedule: ScanScheduleDefinition, actor: string): Promise<StoredScanSchedule | undefined>;
  /** Replaces the schedule of that name; undefined when there is none. */
  updateSchedule(schedule: ScanScheduleDefinition, actor: string): Promise<StoredScanSchedule | undefined>;
  /** False when there was no such schedule. */
  deleteSchedule(name: string): Promise<boolean>;
}
