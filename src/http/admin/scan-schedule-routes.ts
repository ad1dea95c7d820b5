// GET    /admin/vulnerability-scan-schedules         every schedule: the config file's (`source: "config"`) and the API's
// POST   /admin/vulnerability-scan-schedules         a new schedule (201); 409 when the name is taken
// GET    /admin/vulnerability-scan-schedules/:name   with its next tick and its last ticks (started, or skipped and why)
// PUT    /admin/vulnerability-scan-schedules/:name   creates (201) or replaces (200); `enabled: false` also stops its running campaign
// DELETE /admin/vulnerability-scan-schedules/:name   204; stops its running campaign
//
// A body is a `vulnerabilityScanning.schedules` config entry (the same schema):
// {name, cron, timezone?, scope, scanners?, enabled}. A schedule of the config file cannot be
// changed or deleted here: 409, edit the file.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { scanScheduleSchema } from '../../config/vulnerability-scanner-schema.js';
import type { ScanSchedules } from '../../vulnerabilities/scan-schedules.js';
import { bodyNamed, parseInput } from './input.js';

export interface ScanScheduleRoutesOptions {
  schedules: ScanSchedules;
}

const base = '/admin/vulnerability-scan-schedules';

function nameParam(request: FastifyRequest): string {
  return (request.params as { name: string }).name;
}

export const scanScheduleRoutes: FastifyPluginAsync<ScanScheduleRoutesOptions> = async (app, { schedules }) => {
  app.get(base, async () => ({ schedules: await schedules.list() }));

  app.post(base, async (request, reply) => {
    const input = parseInput(scanScheduleSchema, request.body, 'body');
    return reply.code(201).send(await schedules.create(input, request.adminActor));
  });

  app.get(`${base}/:name`, async (request) => schedules.get(nameParam(request)));

  app.put(`${base}/:name`, async (request, reply) => {
    const input = parseInput(scanScheduleSchema, bodyNamed(request.body, nameParam(request), 'schedule'), 'body');
    const { view, created } = await schedules.put(input, request.adminActor);
    return reply.code(created ? 201 : 200).send(view);
  });

  app.delete(`${base}/:name`, async (request, reply) => {
    await schedules.delete(nameParam(request));
    return reply.code(204).send();
  });
};
