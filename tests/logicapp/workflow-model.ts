import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The token-broker workflow, read as Logic Apps would: actions nested in If branches included. */
export interface WorkflowAction {
  name: string;
  type: string;
  runAfter: Record<string, string[]>;
  inputs?: Record<string, unknown>;
  expression?: unknown;
  actions?: Record<string, RawAction>;
  else?: { actions?: Record<string, RawAction> };
  runtimeConfiguration?: { secureData?: { properties?: string[] } };
  /** Names of the actions in the same scope, and the parent scope's chain. */
  scope: string[];
  parent?: string;
}

export type RawAction = Omit<WorkflowAction, 'name' | 'scope' | 'parent'>;

export interface WorkflowDefinition {
  $schema: string;
  contentVersion: string;
  parameters: Record<string, { type: string; defaultValue?: unknown }>;
  triggers: Record<string, { type: string; inputs?: Record<string, unknown> }>;
  actions: Record<string, RawAction>;
  outputs: Record<string, unknown>;
  staticResults?: Record<string, unknown>;
}

export const WORKFLOW_PATH = join(resolve(__dirname, '..', '..'), 'logicapp', 'token-broker.workflow.json');

export function loadWorkflow(): WorkflowDefinition {
  return JSON.parse(readFileSync(WORKFLOW_PATH, 'utf8')) as WorkflowDefinition;
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
