import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The workflows in logicapp/, read as Logic Apps would: actions nested in If branches included. */
export interface WorkflowAction {
  name: string;
  type: string;
  runAfter: Record<string, string[]>;
  inputs?: Record<string, unknown>;
  expression?: unknown;
  actions?: Record<string, RawAction>;
  else?: { actions?: Record<string, RawAction> };
  limit?: { timeout?: string };
  runtimeConfiguration?: { secureData?: { properties?: string[] } };
  /** Names of the actions in the same scope. */
  scope: string[];
  parent?: string;
}

export type RawAction = Omit<WorkflowAction, 'name' | 'scope' | 'parent'>;

export interface WorkflowTrigger {
  type: string;
  kind?: string;
  inputs?: Record<string, unknown>;
  operationOptions?: string;
  runtimeConfiguration?: { secureData?: { properties?: string[] } };
}

export interface WorkflowDefinition {
  $schema: string;
  contentVersion: string;
  parameters: Record<string, { type: string; defaultValue?: unknown }>;
  triggers: Record<string, WorkflowTrigger>;
  actions: Record<string, RawAction>;
  outputs: Record<string, unknown>;
  staticResults?: Record<string, unknown>;
}

export const WORKFLOWS = ['call-api-with-token', 'verify-inbound'] as const;
export type WorkflowName = (typeof WORKFLOWS)[number];

export const LOGICAPP_DIR = join(resolve(__dirname, '..', '..'), 'logicapp');

export function workflowPath(name: WorkflowName): string {
  return join(LOGICAPP_DIR, `${name}.workflow.json`);
}

export function loadWorkflow(name: WorkflowName): WorkflowDefinition {
  return JSON.parse(readFileSync(workflowPath(name), 'utf8')) as WorkflowDefinition;
}

/** Every action at every depth, with the names of its scope siblings and its parent. */
export function allActions(definition: WorkflowDefinition): WorkflowAction[] {
  const out: WorkflowAction[] = [];
  const walk = (actions: Record<string, RawAction>, parent?: string): void => {
    const scope = Object.keys(actions);
    for (const [name, raw] of Object.entries(actions)) {
      out.push({ ...raw, name, scope, parent, runAfter: raw.runAfter ?? {} });
      if (raw.actions) walk(raw.actions, name);
      if (raw.else?.actions) walk(raw.else.actions, name);
    }
  };
  walk(definition.actions);
  return out;
}

/** Every string in a value, however deep. */
export function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

/** The actions that certainly finished before `action` runs (its runAfter chain and its parents'). */
export function predecessors(actions: WorkflowAction[], action: WorkflowAction): Set<string> {
  const byName = new Map(actions.map((a) => [a.name, a]));
  const seen = new Set<string>();
  const visit = (current: WorkflowAction): void => {
    for (const before of Object.keys(current.runAfter)) {
      if (seen.has(before)) continue;
      seen.add(before);
      const next = byName.get(before);
      if (next) visit(next);
    }
    if (current.parent) {
      const parent = byName.get(current.parent);
      if (parent) visit(parent);
    }
  };
  visit(action);
  return seen;
}

/** ISO 8601 duration of the simple kind workflows use (PT15S, PT1M, P1D) in milliseconds. */
export function durationMs(iso: string): number {
  const match = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(iso);
  if (!match || iso === 'P' || iso.endsWith('T')) throw new Error(`not an ISO 8601 duration: ${iso}`);
  const [, d, h, m, s] = match.map((part) => Number(part ?? 0));
  return (((d * 24 + h) * 60 + m) * 60 + s) * 1000;
}
