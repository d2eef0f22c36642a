/**
 * Holds infra/*.tf and the code together, without a terraform binary: every .tf file is parsed
 * with HashiCorp's HCL parser (@cdktf/hcl2json) and checked against what the code declares —
 * shared/names.ts (topics, subscriptions, collections, functions), the environment schema of
 * shared/config.ts, the task schema, the upload function's signed headers, cloudbuild.yaml and the
 * queue CLI. Expressions are evaluated only as far as these checks need (locals, each.key and
 * each.value, dynamic blocks, a few functions, conditionals; variables only where a check gives
 * them values); what cannot be evaluated counts as absent, so a check can fail for an expression
 * it does not understand, never pass because of one.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { FINALIZED } from '../../functions/dispatch/index.ts';
import { registerQueueCommand } from '../../cli/queue-command.ts';
import { EnvSchema } from '../../shared/config.ts';
import { Task } from '../../shared/core/task.ts';
import { ContentIndexEntry } from '../../shared/core/result-reuse.ts';
import {
  CALLBACK_DEAD_LETTER_SUBSCRIPTION,
  CALLBACK_DEAD_LETTER_TOPIC,
  CALLBACK_SUBSCRIPTION,
  COLLECTIONS,
  DEAD_LETTER_SUBSCRIPTION,
  DEAD_LETTER_TOPIC,
  EVENTS_TOPIC,
  FUNCTION_NAMES,
  OBJECT_METADATA,
  PRIORITY_TOPICS,
  WORKER_SUBSCRIPTIONS,
} from '../../shared/names.ts';

/**
 * Loaded through require, with its one function typed here: the package's own declarations pull
 * the DOM library into the whole program (`/// <reference lib="dom" />`), which retypes fetch and
 * Blob for every other file under tsc.
 */
const { parse } = createRequire(import.meta.url)('@cdktf/hcl2json') as {
  parse(fileName: string, contents: string): Promise<Record<string, unknown>>;
};

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const INFRA = join(ROOT, 'infra');

type Block = Record<string, unknown>;
type Scope = {
  locals: Block;
  each?: { key: string; value: unknown };
  /** Values given to `var.*` for one check (e.g. a non-empty origin list); otherwise variables stay unknown. */
  vars?: Record<string, unknown>;
  /** Iterators of the dynamic blocks being expanded (`lifecycle_rule.value`, `cors.value`). */
  iter?: Record<string, { key: unknown; value: unknown }>;
};

/** One deployed instance of a resource (a for_each resource gives one per key). */
interface Instance {
  type: string;
  name: string;
  key?: string;
  body: Block;
  scope: Scope;
}

interface Infra {
  files: string[];
  locals: Block;
  variables: Record<string, Block>;
  instances: Instance[];
  /** `moved {}` blocks: the address a resource had, and the one it has now. */
  moved: Array<{ from: string; to: string }>;
}

// ── Parsing and a small evaluator ─────────────────────────────────────────────────────────────

const asBlock = (v: unknown): Block => (Array.isArray(v) ? (v[0] as Block) : (v as Block)) ?? {};
const blocks = (v: unknown): Block[] => (Array.isArray(v) ? (v as Block[]) : v ? [v as Block] : []);

/** Where `token` first occurs in `s` outside quotes and brackets; -1 when nowhere. */
function topLevel(s: string, token: string, from = 0): number {
  let depth = 0;
  let quoted = false;
  for (let i = from; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"' && s[i - 1] !== '\\') quoted = !quoted;
    if (quoted) continue;
    if (depth === 0 && s.startsWith(token, i)) return i;
    if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth--;
  }
  return -1;
}

/** Splits `a, f(b, c), {d = e}` at its top-level commas. */
function splitArgs(s: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = topLevel(s, ','); i !== -1; i = topLevel(s, ',', start)) {
    out.push(s.slice(start, i).trim());
    start = i + 1;
  }
  const last = s.slice(start).trim();
  if (last) out.push(last);
  return out;
}

/** Follows `a.b[c].d` from a root value; undefined when a step is missing. */
function walk(root: unknown, path: string, scope: Scope): unknown {
  let value = root;
  for (const step of path.match(/\.[A-Za-z_][\w-]*|\[[^\]]+\]/g) ?? []) {
    const key = step.startsWith('.') ? step.slice(1) : String(evaluate(step.slice(1, -1), scope) ?? step.slice(1, -1).replace(/"/g, ''));
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Block)[key];
  }
  return value;
}

/** `c ? a : b` split at its top level (the `:` that belongs to the first `?`), or undefined. */
function ternary(e: string): [string, string, string] | undefined {
  const q = topLevel(e, ' ? ');
  if (q === -1) return undefined;
  let nested = 0;
  for (let i = q + 3; ; ) {
    const [nextQ, nextC] = [topLevel(e, ' ? ', i), topLevel(e, ' : ', i)];
    if (nextC === -1) return undefined;
    if (nextQ !== -1 && nextQ < nextC) {
      nested++;
      i = nextQ + 3;
    } else if (nested > 0) {
      nested--;
      i = nextC + 3;
    } else {
      return [e.slice(0, q), e.slice(q + 3, nextC), e.slice(nextC + 3)];
    }
  }
}

const COMPARISONS: Record<string, (a: unknown, b: unknown) => boolean> = {
  ' == ': (a, b) => a === b,
  ' != ': (a, b) => a !== b,
  ' >= ': (a, b) => (a as number) >= (b as number),
  ' <= ': (a, b) => (a as number) <= (b as number),
  ' > ': (a, b) => (a as number) > (b as number),
  ' < ': (a, b) => (a as number) < (b as number),
};

/**
 * The value of an HCL expression (as hcl2json prints it), or undefined when out of our reach:
 * literals, lists, locals, `var.*` given in the scope, each.key/each.value, dynamic-block
 * iterators, merge/concat/toset/keys/length/lookup/jsonencode, `||`, `&&`, comparisons and
 * `c ? a : b`.
 */
function evaluate(expr: string, scope: Scope): unknown {
  const e = expr.trim();
  let m: RegExpMatchArray | null;
  const parts = ternary(e);
  if (parts) {
    const cond = evaluate(parts[0], scope);
    return typeof cond === 'boolean' ? evaluate(cond ? parts[1] : parts[2], scope) : undefined;
  }
  for (const [op, join] of [[' || ', (a: boolean, b: boolean) => a || b], [' && ', (a: boolean, b: boolean) => a && b]] as const) {
    const at = topLevel(e, op);
    if (at === -1) continue;
    const [a, b] = [evaluate(e.slice(0, at), scope), evaluate(e.slice(at + op.length), scope)];
    return typeof a === 'boolean' && typeof b === 'boolean' ? join(a, b) : undefined;
  }
  for (const [op, compare] of Object.entries(COMPARISONS)) {
    const at = topLevel(e, op);
    if (at === -1) continue;
    const [a, b] = [evaluate(e.slice(0, at), scope), evaluate(e.slice(at + op.length), scope)];
    return a === undefined || b === undefined ? undefined : compare(a, b);
  }
  if ((m = /^"([^"$]*)"$/.exec(e))) return m[1];
  if (/^-?\d+(\.\d+)?$/.test(e)) return Number(e);
  if (e === 'true' || e === 'false') return e === 'true';
  if (e === 'null') return null;
  if (e === '{}') return {};
  if ((m = /^\[(.*)\]$/s.exec(e))) {
    const items = splitArgs(m[1]!).map((a) => evaluate(a, scope));
    return items.includes(undefined) ? undefined : items;
  }
  if ((m = /^local\.([A-Za-z_]\w*)(.*)$/s.exec(e))) return resolve(walk(scope.locals[m[1]!], m[2]!, scope), scope);
  if ((m = /^var\.([A-Za-z_]\w*)$/.exec(e))) return scope.vars?.[m[1]!];
  if (e === 'each.key') return scope.each?.key;
  if ((m = /^each\.value(.*)$/s.exec(e))) return resolve(walk(scope.each?.value, m[1]!, scope), scope);
  if ((m = /^([A-Za-z_]\w*)\.(key|value)(.*)$/s.exec(e)) && scope.iter?.[m[1]!]) {
    const it = scope.iter[m[1]!]!;
    return m[2] === 'key' ? it.key : resolve(walk(it.value, m[3]!, scope), scope);
  }
  if ((m = /^(merge|concat|toset|keys|length|lookup|jsonencode)\((.*)\)$/s.exec(e))) {
    const args = splitArgs(m[2]!).map((a) => evaluate(a, scope));
    const [first] = args;
    switch (m[1]) {
      case 'merge':
        return Object.assign({}, ...args.map((p) => (p && typeof p === 'object' ? p : {})));
      case 'concat':
        return args.every(Array.isArray) ? args.flat() : undefined;
      case 'jsonencode':
        return first === undefined ? undefined : JSON.stringify(first);
      case 'toset':
        return Array.isArray(first) && first.every((v) => typeof v === 'string') ? Object.fromEntries(first.map((v) => [v, v])) : undefined;
      case 'keys':
        return first && typeof first === 'object' && !Array.isArray(first) ? Object.keys(first) : undefined;
      case 'length':
        return first && typeof first === 'object' ? Object.keys(first).length : undefined;
      case 'lookup': {
        if (!first || typeof first !== 'object' || typeof args[1] !== 'string') return undefined;
        return args[1] in first ? resolve((first as Block)[args[1]], scope) : args[2];
      }
    }
  }
  return undefined;
}

/** A parsed value with its `${…}` parts evaluated where possible (unknown parts are kept as text). */
function resolve(value: unknown, scope: Scope): unknown {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v, scope)]));
  }
  if (typeof value !== 'string') return value;
  const whole = /^\$\{(.*)\}$/s.exec(value);
  if (whole && !whole[1]!.includes('${')) {
    const v = evaluate(whole[1]!, scope);
    return v === undefined ? value : v;
  }
  return value.replace(/\$\{([^{}]*)\}/g, (all, inner: string) => {
    const v = evaluate(inner, scope);
    return typeof v === 'string' || typeof v === 'number' ? String(v) : all;
  });
}

const str = (inst: Instance, value: unknown): string => String(resolve(value, inst.scope) ?? '');

async function loadInfra(): Promise<Infra> {
  const files = readdirSync(INFRA)
    .filter((f) => f.endsWith('.tf'))
    .sort();
  const parsed = await Promise.all(files.map(async (f) => parse(f, readFileSync(join(INFRA, f), 'utf8'))));
  const locals: Block = {};
  const variables: Record<string, Block> = {};
  for (const doc of parsed) {
    for (const l of blocks(doc.locals)) Object.assign(locals, l);
    for (const [name, v] of Object.entries((doc.variable ?? {}) as Record<string, unknown>)) variables[name] = asBlock(v);
  }
  const instances: Instance[] = [];
  const moved = parsed.flatMap((doc) => blocks(doc.moved).map((b) => ({ from: String(b.from).replace(/^\$\{(.*)\}$/, '$1'), to: String(b.to).replace(/^\$\{(.*)\}$/, '$1') })));
  for (const doc of parsed) {
    for (const [type, byName] of Object.entries((doc.resource ?? {}) as Record<string, Record<string, unknown>>)) {
      for (const [name, raw] of Object.entries(byName)) {
        const body = asBlock(raw);
        if (body.for_each === undefined) {
          instances.push({ type, name, body, scope: { locals } });
          continue;
        }
        const each = resolve(body.for_each, { locals });
        if (!each || typeof each !== 'object') {
          // A for_each over other resources (e.g. a subscription's IAM per subscription): one
          // instance stands for them all, with an unknown key.
          instances.push({ type, name, body, scope: { locals } });
          continue;
        }
        for (const [key, value] of Object.entries(each as Block)) instances.push({ type, name, key, body, scope: { locals, each: { key, value } } });
      }
    }
  }
  return { files, locals, variables, instances, moved };
}

const of = (infra: Infra, type: string): Instance[] => infra.instances.filter((i) => i.type === type);

/** The address Terraform gives an instance: type.name, or type.name["key"] under for_each. */
const addressOf = (i: Instance): string => `${i.type}.${i.name}${i.key === undefined ? '' : `["${i.key}"]`}`;

/** A reference as Terraform reads it inside this instance: `[each.key]` is the instance's own key. */
const bound = (i: Instance, ref: unknown): string => String(ref).replaceAll('[each.key]', `["${i.key}"]`);

/**
 * The blocks `name` of a body: the static ones, then every dynamic one expanded over its for_each
 * (evaluated in `scope`), each with the scope its content is read in. A dynamic block whose
 * for_each cannot be evaluated gives nothing.
 */
function blocksIn(body: Block, name: string, scope: Scope): Array<{ block: Block; scope: Scope }> {
  const out = blocks(body[name]).map((block) => ({ block, scope }));
  for (const d of blocks(asBlock(body.dynamic)[name])) {
    const each = resolve(d.for_each, scope);
    if (!each || typeof each !== 'object') continue;
    const iterator = typeof d.iterator === 'string' ? d.iterator : name;
    for (const [key, value] of Array.isArray(each) ? each.entries() : Object.entries(each)) {
      out.push({ block: asBlock(d.content), scope: { ...scope, iter: { ...scope.iter, [iterator]: { key, value } } } });
    }
  }
  return out;
}

/** The address of the application bucket `uploads`, `results` or `models` (a for_each key, or a resource's name). */
function bucketAddress(infra: Infra, which: 'uploads' | 'results' | 'models'): string {
  const found = of(infra, 'google_storage_bucket').filter((b) => (b.key ?? b.name) === which);
  expect(found.map(addressOf), `the ${which} bucket`).toHaveLength(1);
  return addressOf(found[0]!);
}

// ── What is deployed ───────────────────────────────────────────────────────────────────────────

const SECRET_KEYS = ['USER_HASH_SECRET', 'WEBHOOK_SECRET'] as const;

interface Deployment {
  /** The functions-framework target it serves (a name from functions/index.ts). */
  target: string;
  name: string;
  /** Its address, e.g. google_cloudfunctions2_function.http["api"]. */
  resource: string;
  /** Env var names set with a plain value. */
  env: Record<string, string>;
  /** Env var names set from Secret Manager. */
  secrets: string[];
  /** Env var names set only under a condition (e.g. only when a variable is not empty). */
  maybe: string[];
  instance: Instance;
}

/** Names that appear as keys in a map expression we could not evaluate (conditional parts). */
function namesInExpression(expr: unknown, scope: Scope): string[] {
  if (typeof expr !== 'string') return [];
  const fromLocals = [...expr.matchAll(/local\.([A-Za-z_]\w*)/g)].flatMap((m) => {
    const v = scope.locals[m[1]!];
    return typeof v === 'string' ? [...v.matchAll(/\b([A-Z][A-Z0-9_]+)\s*=/g)].map((n) => n[1]!) : [];
  });
  return [...new Set(fromLocals)];
}

function deployments(infra: Infra): Deployment[] {
  const out: Deployment[] = [];
  for (const inst of of(infra, 'google_cloudfunctions2_function')) {
    const build = asBlock(inst.body.build_config);
    const service = asBlock(inst.body.service_config);
    const envExpr = service.environment_variables;
    const env = (resolve(envExpr, inst.scope) ?? {}) as Record<string, string>;
    out.push({
      target: str(inst, build.entry_point),
      name: str(inst, inst.body.name),
      resource: addressOf(inst),
      env: typeof env === 'object' ? env : {},
      secrets: blocks(service.secret_environment_variables).map((s) => str(inst, s.key)),
      maybe: namesInExpression(envExpr, inst.scope),
      instance: inst,
    });
  }
  for (const inst of of(infra, 'google_cloud_run_v2_service')) {
    const template = asBlock(inst.body.template);
    const container = asBlock(template.containers);
    const env: Record<string, string> = {};
    const secrets: string[] = [];
    for (const e of blocks(container.env)) {
      if (asBlock(e.value_source).secret_key_ref) secrets.push(str(inst, e.name));
      else env[str(inst, e.name)] = str(inst, e.value);
    }
    const dynamicEnv = blocks(asBlock(container.dynamic).env);
    const maybe: string[] = [];
    for (const d of dynamicEnv) {
      const map = resolve(d.for_each, inst.scope);
      if (map && typeof map === 'object') Object.assign(env, map);
      maybe.push(...namesInExpression(d.for_each, inst.scope));
    }
    out.push({ target: env.FUNCTION_TARGET ?? '', name: str(inst, inst.body.name), resource: addressOf(inst), env, secrets, maybe, instance: inst });
  }
  return out;
}

// ── Checks that return their problems (so they can be shown to fail, below) ────────────────────

interface Names {
  priorityTopics: Record<string, string>;
  workerSubscriptions: Record<string, string>;
  deadLetterTopic: string;
  eventsTopic: string;
  deadLetterSubscription: string;
  callbackDeadLetterTopic: string;
  callbackSubscription: string;
  callbackDeadLetterSubscription: string;
}

const CODE_NAMES: Names = {
  priorityTopics: { ...PRIORITY_TOPICS },
  workerSubscriptions: { ...WORKER_SUBSCRIPTIONS },
  deadLetterTopic: DEAD_LETTER_TOPIC,
  eventsTopic: EVENTS_TOPIC,
  deadLetterSubscription: DEAD_LETTER_SUBSCRIPTION,
  callbackDeadLetterTopic: CALLBACK_DEAD_LETTER_TOPIC,
  callbackSubscription: CALLBACK_SUBSCRIPTION,
  callbackDeadLetterSubscription: CALLBACK_DEAD_LETTER_SUBSCRIPTION,
};

function topicProblems(infra: Infra, names: Names): string[] {
  const declared = new Set(of(infra, 'google_pubsub_topic').map((t) => str(t, t.body.name)));
  const wanted = [...Object.values(names.priorityTopics), names.deadLetterTopic, names.eventsTopic, names.callbackDeadLetterTopic];
  return [
    ...wanted.filter((t) => !declared.has(t)).map((t) => `topic ${t} is not declared in infra/`),
    ...[...declared].filter((t) => !wanted.includes(t)).map((t) => `infra/ declares topic ${t}, which the code does not use`),
  ];
}

function subscriptionProblems(infra: Infra, names: Names): string[] {
  const subs = of(infra, 'google_pubsub_subscription');
  const byName = new Map(subs.map((s) => [str(s, s.body.name), s]));
  const problems: string[] = [];
  for (const [priority, sub] of Object.entries(names.workerSubscriptions)) {
    const s = byName.get(sub);
    if (!s) {
      problems.push(`subscription ${sub} is not declared in infra/`);
      continue;
    }
    const topic = names.priorityTopics[priority];
    const endpoint = str(s, asBlock(s.body.push_config).push_endpoint);
    // The functions framework makes a CloudEvent of a push only on /projects/{p}/topics/{topic}.
    if (!endpoint.endsWith(`/topics/${topic}`)) problems.push(`${sub} pushes to ${endpoint}, not to a path ending /topics/${topic}`);
    if (!str(s, s.body.topic).includes('google_pubsub_topic.priority[each.key]') || s.key !== priority) {
      problems.push(`${sub} does not subscribe to the ${priority} priority topic`);
    }
  }
  for (const sink of [names.deadLetterSubscription, names.callbackDeadLetterSubscription]) {
    if (!byName.has(sink)) problems.push(`subscription ${sink} is not declared in infra/`);
  }
  const callbacks = byName.get(names.callbackSubscription);
  if (!callbacks) problems.push(`subscription ${names.callbackSubscription} is not declared in infra/`);
  else {
    const endpoint = str(callbacks, asBlock(callbacks.body.push_config).push_endpoint);
    if (!endpoint.includes('google_cloudfunctions2_function.callbacks') || !endpoint.endsWith(`/topics/${names.eventsTopic}`)) {
      problems.push(`${names.callbackSubscription} pushes to ${endpoint}, not to the callbacks function's /topics/${names.eventsTopic}`);
    }
  }
  return problems;
}

// ── The tests ──────────────────────────────────────────────────────────────────────────────────

let infra: Infra;
let deployed: Deployment[];

beforeAll(async () => {
  infra = await loadInfra();
  deployed = deployments(infra);
});

describe('infra/*.tf', () => {
  it('parse as HCL and split by concern', () => {
    for (const f of ['main.tf', 'variables.tf', 'outputs.tf', 'storage.tf', 'pubsub.tf', 'firestore.tf', 'functions.tf', 'iam.tf', 'secrets.tf', 'scheduler.tf', 'deploy.tf', 'monitoring.tf']) {
      expect(infra.files).toContain(f);
    }
    expect(infra.instances.length).toBeGreaterThan(20);
  });

  it('move resources folded into a for_each to their instances, so an apply does not replace them', () => {
    const addresses = new Set(infra.instances.map(addressOf));
    for (const { from, to } of infra.moved) {
      expect(addresses.has(to), `moved to ${to}, which is declared`).toBe(true);
      // Gone, or the same resource now keyed by for_each (its unkeyed address no longer exists).
      expect(addresses.has(from), `moved from ${from}, which is no longer an address`).toBe(false);
    }
    expect(infra.moved.map((m) => m.from)).toEqual(
      expect.arrayContaining([
        'google_storage_bucket.uploads',
        'google_storage_bucket.results',
        'google_storage_bucket.models',
        'google_cloudfunctions2_function.upload',
        'google_cloudfunctions2_function.api',
      ]),
    );
    // Where each went: the bucket to the instance that is that bucket, the function to the one that deploys it.
    const to = new Map(infra.moved.map((m) => [m.from, m.to]));
    for (const name of ['uploads', 'results', 'models'] as const) expect(to.get(`google_storage_bucket.${name}`)).toBe(bucketAddress(infra, name));
    for (const fn of ['upload', 'api']) expect(to.get(`google_cloudfunctions2_function.${fn}`)).toBe(deployed.find((d) => d.target === fn)?.resource);
  });

  it('name topics, subscriptions and collections as shared/names.ts does', () => {
    expect(infra.locals.priority_topics).toEqual(PRIORITY_TOPICS);
    expect(infra.locals.worker_subscriptions).toEqual(WORKER_SUBSCRIPTIONS);
    expect(infra.locals.dead_letter_topic).toBe(DEAD_LETTER_TOPIC);
    expect(infra.locals.events_topic).toBe(EVENTS_TOPIC);
    expect(infra.locals.dead_letter_subscription).toBe(DEAD_LETTER_SUBSCRIPTION);
    expect(infra.locals.tasks_collection).toBe(COLLECTIONS.tasks);
    expect(infra.locals.batches_collection).toBe(COLLECTIONS.batches);
    expect(infra.locals.content_index_collection).toBe(COLLECTIONS.contentIndex);
  });

  it('declare every topic of the code, and no other', () => {
    expect(topicProblems(infra, CODE_NAMES)).toEqual([]);
  });

  it('declare every worker subscription on its own priority topic, pushing to the framework path', () => {
    expect(subscriptionProblems(infra, CODE_NAMES)).toEqual([]);
  });

  it('fail when a name changes in the code but not in infra/', () => {
    const high = `${CODE_NAMES.priorityTopics.high}-renamed`;
    const renamedTopic: Names = { ...CODE_NAMES, priorityTopics: { ...CODE_NAMES.priorityTopics, high } };
    expect(topicProblems(infra, renamedTopic)).toEqual(expect.arrayContaining([`topic ${high} is not declared in infra/`]));
    expect(subscriptionProblems(infra, renamedTopic).length).toBeGreaterThan(0); // the push path names the topic
    const renamedEvents: Names = { ...CODE_NAMES, eventsTopic: `${CODE_NAMES.eventsTopic}-renamed` };
    expect(topicProblems(infra, renamedEvents).length).toBeGreaterThan(0);
    const low = `${CODE_NAMES.workerSubscriptions.low}-renamed`;
    const renamedSub: Names = { ...CODE_NAMES, workerSubscriptions: { ...CODE_NAMES.workerSubscriptions, low } };
    expect(subscriptionProblems(infra, renamedSub)).toEqual([`subscription ${low} is not declared in infra/`]);
  });

  it('give every OCR subscription a 600 s ack deadline, exponential retry and a dead-letter policy', () => {
    const workerSubs = of(infra, 'google_pubsub_subscription').filter((s) => Object.values(WORKER_SUBSCRIPTIONS).includes(str(s, s.body.name)));
    expect(workerSubs).toHaveLength(Object.keys(PRIORITY_TOPICS).length);
    for (const s of workerSubs) {
      expect(s.body.ack_deadline_seconds, str(s, s.body.name)).toBe(600);
      const retry = asBlock(s.body.retry_policy);
      expect(retry.minimum_backoff, 'retry_policy.minimum_backoff').toBeTruthy();
      expect(retry.maximum_backoff, 'retry_policy.maximum_backoff').toBeTruthy();
      const dead = asBlock(s.body.dead_letter_policy);
      expect(str(s, dead.dead_letter_topic)).toContain('google_pubsub_topic.dead_letter');
      expect(dead.max_delivery_attempts, 'max_delivery_attempts').toBeTruthy();
    }
    const dl = of(infra, 'google_pubsub_topic').find((t) => str(t, t.body.name) === DEAD_LETTER_TOPIC);
    expect(dl?.name).toBe('dead_letter');
  });

  it('let the Pub/Sub service agent publish dead letters and acknowledge on the source subscriptions', () => {
    const agent = String(infra.locals.pubsub_service_agent);
    expect(agent).toMatch(/^serviceAccount:service-.*@gcp-sa-pubsub\.iam\.gserviceaccount\.com$/);
    const publishers = of(infra, 'google_pubsub_topic_iam_member').filter(
      (b) => str(b, b.body.topic).includes('google_pubsub_topic.dead_letter') && b.body.role === 'roles/pubsub.publisher',
    );
    expect(publishers.map((b) => str(b, b.body.member))).toContain(agent);
    const subscribers = of(infra, 'google_pubsub_subscription_iam_member').filter((b) => b.body.role === 'roles/pubsub.subscriber');
    expect(subscribers.map((b) => [str(b, b.body.member), b.body.for_each])).toContainEqual([agent, '${google_pubsub_subscription.worker}']);
  });
});

describe('the functions', () => {
  it('deploy every function of the code under its own name, and nothing else', () => {
    const targets = new Set(deployed.map((d) => d.target));
    for (const fn of FUNCTION_NAMES) {
      expect(targets.has(fn), `${fn} is deployed`).toBe(true);
      expect(existsSync(join(ROOT, 'functions', fn, 'index.ts')), `functions/${fn}/ exists`).toBe(true);
    }
    for (const t of targets) expect(FUNCTION_NAMES as readonly string[]).toContain(t);
    for (const d of deployed.filter((d) => d.target !== 'ocr-worker')) expect(d.name).toBe(d.target);
  });

  it('deploy the OCR worker once per priority topic, concurrency 1, more instances for high', () => {
    const workers = deployed.filter((d) => d.target === 'ocr-worker');
    expect(workers.map((w) => w.instance.key).sort()).toEqual(Object.keys(PRIORITY_TOPICS).sort());
    const maxInstances = infra.variables.worker_max_instances?.default as Record<string, number>;
    expect(maxInstances.high).toBeGreaterThan(maxInstances.normal!);
    expect(maxInstances.normal).toBeGreaterThanOrEqual(maxInstances.low!);
    for (const w of workers) {
      const template = asBlock(w.instance.body.template);
      expect(template.max_instance_request_concurrency).toBe(1);
      expect(asBlock(template.scaling).max_instance_count).toBe('${var.worker_max_instances[each.key]}');
      expect(template.timeout).toBeTruthy();
      expect(asBlock(asBlock(template.containers).resources).limits).toMatchObject({ memory: '${var.worker_memory}' });
      // Each worker's push subscription points at this very service.
      const sub = of(infra, 'google_pubsub_subscription').find((s) => s.name === 'worker' && s.key === w.instance.key);
      expect(str(sub!, asBlock(sub!.body.push_config).push_endpoint)).toContain('google_cloud_run_v2_service.ocr_worker[each.key].uri');
    }
  });

  it('mount the models bucket read-only into every OCR worker, with MODEL_CACHE_DIR pointing at it', () => {
    const workers = deployed.filter((d) => d.target === 'ocr-worker');
    expect(workers.length).toBeGreaterThan(0);
    for (const w of workers) {
      const template = asBlock(w.instance.body.template);
      const volume = blocks(template.volumes).find((v) => v.gcs);
      expect(volume, `${w.name} has a Cloud Storage volume`).toBeDefined();
      const gcs = asBlock(volume!.gcs);
      expect(gcs.bucket).toBe(`\${${bucketAddress(infra, 'models')}.name}`);
      expect(gcs.read_only).toBe(true);
      expect(template.execution_environment).toBe('EXECUTION_ENVIRONMENT_GEN2');
      const mount = blocks(asBlock(template.containers).volume_mounts).find((m) => m.name === volume!.name);
      expect(mount, `${w.name} mounts the volume`).toBeDefined();
      const mountPath = str(w.instance, mount!.mount_path);
      expect(mountPath).toMatch(/^\//);
      expect(w.env.MODEL_CACHE_DIR).toBe(mountPath);
      expect(w.env.MODELS_BUCKET).toBe(`\${${bucketAddress(infra, 'models')}.name}`);
    }
  });

  it('trigger dispatch on the uploads bucket’s finalize events', () => {
    const dispatch = deployed.find((d) => d.target === 'dispatch')!;
    const trigger = asBlock(dispatch.instance.body.event_trigger);
    expect(trigger.event_type).toBe(FINALIZED);
    expect(blocks(trigger.event_filters).map((f) => [f.attribute, f.value])).toContainEqual(['bucket', `\${${bucketAddress(infra, 'uploads')}.name}`]);
    expect(trigger.service_account_email).toBeTruthy();
  });

  it('run every deployment as its function’s own service account', () => {
    const accounts = new Map<string, string>();
    for (const d of deployed) {
      const sa =
        d.instance.type === 'google_cloudfunctions2_function'
          ? String(asBlock(d.instance.body.service_config).service_account_email)
          : String(asBlock(d.instance.body.template).service_account);
      expect(bound(d.instance, sa), d.name).toBe(`\${google_service_account.fn["${d.target}"].email}`);
      accounts.set(d.target, bound(d.instance, sa));
    }
    expect(new Set(accounts.values()).size).toBe(FUNCTION_NAMES.length);
  });
});

describe('the environment of each function', () => {
  const shape = EnvSchema.shape as Record<string, { safeParse(v: unknown): { success: boolean } }>;
  const schemaKeys = Object.keys(shape);
  /** What config.ts cannot start without, plus the project (its default names the local suite). */
  const required = [...schemaKeys.filter((k) => !shape[k]!.safeParse(undefined).success), 'GOOGLE_CLOUD_PROJECT'];
  /** Read by one function only (the rest of the schema has defaults that suit the cloud). */
  const perFunction: Record<string, string[]> = {
    'ocr-worker': ['MODEL_CACHE_DIR', 'MODELS_BUCKET', 'WEBHOOK_SECRET', 'DELETE_UPLOAD_ON_SUCCESS', 'TASK_RETENTION_DAYS'],
    api: ['MODELS_BUCKET'],
    upload: ['SIGNED_URL_MINUTES'],
    dispatch: ['MAX_ATTEMPTS'],
  };
  /** Only against the emulators: config.ts refuses some of them in the cloud. */
  const localOnly = schemaKeys.filter((k) => k.endsWith('_EMULATOR_HOST') || k === 'ALLOW_LOCAL_IDENTITY' || k === 'OCR_FAULT_MARKER');
  /** Read by the functions framework, not by config.ts. */
  const framework = ['FUNCTION_TARGET', 'FUNCTION_SIGNATURE_TYPE'];

  const names = (d: Deployment) => [...Object.keys(d.env), ...d.secrets];

  it('derives its lists from the schema', () => {
    expect(required).toEqual(expect.arrayContaining(['UPLOADS_BUCKET', 'RESULTS_BUCKET', 'GOOGLE_CLOUD_PROJECT', 'USER_HASH_SECRET']));
    for (const keys of Object.values(perFunction)) for (const k of keys) expect(schemaKeys).toContain(k);
  });

  it('sets every variable the config schema requires on every function', () => {
    for (const d of deployed) {
      for (const key of required) expect(names(d), `${key} on ${d.name}`).toContain(key);
    }
  });

  it('sets the variables each function reads for its own work', () => {
    for (const d of deployed) {
      for (const key of perFunction[d.target] ?? []) expect(names(d), `${key} on ${d.name}`).toContain(key);
    }
  });

  it('names only variables the code reads, and none of the emulator-only ones', () => {
    for (const d of deployed) {
      for (const key of [...names(d), ...d.maybe]) {
        expect([...schemaKeys, ...framework], `${key} on ${d.name} is read by shared/config.ts`).toContain(key);
        expect(localOnly, `${key} on ${d.name}`).not.toContain(key);
      }
    }
  });

  it('takes the secrets from Secret Manager, never as plain values', () => {
    for (const d of deployed) {
      for (const key of SECRET_KEYS) expect(Object.keys(d.env), `${key} on ${d.name}`).not.toContain(key);
    }
    expect(deployed.every((d) => d.secrets.includes('USER_HASH_SECRET'))).toBe(true);
  });

  it('points the buckets at the declared buckets', () => {
    for (const d of deployed) {
      expect(d.env.UPLOADS_BUCKET).toBe(`\${${bucketAddress(infra, 'uploads')}.name}`);
      expect(d.env.RESULTS_BUCKET).toBe(`\${${bucketAddress(infra, 'results')}.name}`);
    }
  });
});

describe('who may call whom', () => {
  it('pushes to the workers with an OIDC token of an account that may invoke them, and only that', () => {
    const push = new Set(of(infra, 'google_pubsub_subscription').map((s) => asBlock(asBlock(s.body.push_config).oidc_token).service_account_email));
    push.delete(undefined);
    expect([...push]).toEqual(['${google_service_account.pubsub_push.email}']);
    const invokers = of(infra, 'google_cloud_run_v2_service_iam_member').filter((b) => b.body.for_each === '${google_cloud_run_v2_service.ocr_worker}');
    expect(invokers.map((b) => [b.body.role, b.body.member])).toEqual([['roles/run.invoker', '${google_service_account.pubsub_push.member}']]);
    // Only upload and api (which verify each caller's ID token themselves) may be public, and
    // only while public_http is true.
    const publicGrants = infra.instances.filter((b) => /_iam_member$/.test(b.type) && b.body.member === 'allUsers');
    expect(publicGrants.map((b) => `${b.type}.${b.name}`)).toEqual(['google_cloud_run_v2_service_iam_member.public_http']);
    const grant = publicGrants[0]!;
    const grantedTo = (publicHttp: boolean): string[] => {
      const each = resolve(grant.body.for_each, { locals: infra.locals, vars: { public_http: publicHttp } });
      expect(each, 'public_http for_each').toBeTypeOf('object');
      return Object.keys(each as Block).map((key) => bound({ ...grant, key }, grant.body.name));
    };
    const targetOfService = new Map(deployed.map((d) => [`\${${d.resource}.name}`, d.target]));
    expect(grantedTo(true).map((service) => targetOfService.get(service) ?? service).sort()).toEqual(['api', 'upload']);
    expect(grantedTo(false)).toEqual([]);
  });

  it('gives each HTTP function an AUTH_AUDIENCE of its own URL (plus the sign-in clients): without one the code refuses Google ID tokens', () => {
    const source = readFileSync(join(INFRA, 'functions.tf'), 'utf8');
    expect(source).toMatch(/AUTH_AUDIENCE\s*=\s*join\(",", compact\(concat\(\[local\.function_urls\[each\.key\], local\.run_urls\[each\.key\]\], split\(",", var\.auth_audience\)\)\)\)/);
    // The URLs handed out are audiences it accepts.
    const outputs = readFileSync(join(INFRA, 'outputs.tf'), 'utf8');
    for (const fn of ['upload', 'api']) expect(outputs).toMatch(new RegExp(`value\\s*=\\s*google_cloudfunctions2_function\\.http\\["${fn}"\\]\\.url\\b`));
    expect(source).toMatch(/function_urls\s*=\s*\{ for name in \["upload", "api"\] : name => "https:\/\/\$\{var\.region\}-\$\{var\.project_id\}\.cloudfunctions\.net\/\$\{name\}" \}/);
    expect(Object.keys(EnvSchema.shape)).toContain('AUTH_AUDIENCE');
  });

  it('schedules recover-stale every 5 minutes and a daily cleanup, on the api', () => {
    const jobs = new Map(of(infra, 'google_cloud_scheduler_job').map((j) => [j.name, j.body]));
    expect(infra.variables.recover_stale_schedule?.default).toBe('*/5 * * * *');
    expect(String(infra.variables.cleanup_schedule?.default)).toMatch(/^\d+ \d+ \* \* \*$/);
    const api = deployed.find((d) => d.target === 'api')!;
    for (const [name, path] of [['recover_stale', '/maintenance/recover-stale'], ['cleanup', '/maintenance/cleanup']] as const) {
      const target = asBlock(jobs.get(name)?.http_target);
      expect(target.uri).toBe(`\${${api.resource}.service_config[0].uri}${path}`);
      expect(asBlock(target.oidc_token).audience).toBe('${local.function_urls["api"]}');
      expect(asBlock(target.oidc_token).service_account_email).toBe('${google_service_account.scheduler.email}');
    }
  });
});

describe('storage, Firestore and IAM', () => {
  it('keeps every bucket private, with lifecycle rules; versions models', () => {
    const bucket = (name: 'uploads' | 'results' | 'models') => of(infra, 'google_storage_bucket').find((b) => addressOf(b) === bucketAddress(infra, name))!;
    const rules = (name: 'uploads' | 'results' | 'models') => blocksIn(bucket(name).body, 'lifecycle_rule', bucket(name).scope);
    const deleteAge = (name: 'uploads' | 'results') =>
      rules(name)
        .filter((r) => asBlock(r.block.action).type === 'Delete')
        .map((r) => resolve(asBlock(r.block.condition).age, r.scope));
    for (const name of ['uploads', 'results', 'models'] as const) {
      const b = bucket(name);
      expect(str(b, b.body.name), `bucket ${name}`).toContain(`docvault-${name}`);
      expect(b.body.uniform_bucket_level_access).toBe(true);
      expect(b.body.public_access_prevention).toBe('enforced');
      const actions = rules(name).map((r) => asBlock(r.block.action).type);
      expect(actions).toContain('AbortIncompleteMultipartUpload');
      expect(actions).toContain('Delete');
    }
    const versioning = blocksIn(bucket('models').body, 'versioning', bucket('models').scope);
    expect(versioning.map((v) => resolve(v.block.enabled, v.scope))).toEqual([true]);
    expect(deleteAge('results')).toEqual(['${var.task_retention_days}']);
    expect(deleteAge('uploads')).toEqual(['${var.upload_retention_days}']);
  });

  it('lets pages on upload_cors_origins upload to the uploads bucket with signed resumable URLs, and none by default', () => {
    const corsRules = (name: 'uploads' | 'results' | 'models', origins: string[]) => {
      const b = of(infra, 'google_storage_bucket').find((i) => addressOf(i) === bucketAddress(infra, name))!;
      return blocksIn(b.body, 'cors', { ...b.scope, vars: { upload_cors_origins: origins } });
    };
    expect(infra.variables.upload_cors_origins?.type).toBe('${list(string)}');
    expect(infra.variables.upload_cors_origins?.default).toEqual([]);
    expect(corsRules('uploads', [])).toEqual([]);

    const origins = ['https://app.example.com', 'https://admin.example.com'];
    const rules = corsRules('uploads', origins);
    expect(rules).toHaveLength(1);
    const { block, scope } = rules[0]!;
    expect(resolve(block.origin, scope)).toEqual(origins);
    expect(block.method).toEqual(expect.arrayContaining(['PUT', 'POST', 'OPTIONS']));
    const headers = (resolve(block.response_header, scope) as string[]).map((h) => h.toLowerCase());
    for (const h of ['Content-Type', 'Content-Range', 'x-goog-resumable', 'Location', 'Range']) expect(headers).toContain(h.toLowerCase());
    // Every header the signed POST carries (shared/services/upload/signed-upload.ts), so that the preflight lets it through.
    const upload = readFileSync(join(ROOT, 'shared', 'services', 'upload', 'signed-upload.ts'), 'utf8');
    const signed = [...upload.matchAll(/'(x-goog-[a-z][a-z-]*[a-z])'/g)].map((m) => m[1]!);
    expect(signed).toEqual(expect.arrayContaining(['x-goog-resumable', 'x-goog-if-generation-match']));
    for (const h of [...signed, ...Object.values(OBJECT_METADATA).map((key) => `x-goog-meta-${key}`)]) expect(headers, h).toContain(h);

    for (const name of ['results', 'models'] as const) expect(corsRules(name, origins), name).toEqual([]);
  });

  it('expires tasks and content index entries by a TTL policy on expireAt, a field of their schemas', () => {
    const ttl = of(infra, 'google_firestore_field').filter((f) => f.body.ttl_config !== undefined);
    expect(ttl.map((f) => [str(f, f.body.collection), f.body.field]).sort()).toEqual([
      [COLLECTIONS.contentIndex, 'expireAt'],
      [COLLECTIONS.tasks, 'expireAt'],
    ]);
    expect(Object.keys(Task.shape)).toContain('expireAt');
    expect(Object.keys(ContentIndexEntry.shape)).toContain('expireAt');
  });

  it('indexes only fields of the task schema, including the list query (userHash, createdAt desc, taskId desc)', () => {
    const indexes = of(infra, 'google_firestore_index');
    expect(indexes.length).toBeGreaterThan(5);
    const taskFields = Object.keys(Task.shape);
    const shapes = indexes.map((i) => {
      expect(str(i, i.body.collection)).toBe(COLLECTIONS.tasks);
      const fields = i.scope.each?.value as Array<[string, string]>;
      for (const [path] of fields) expect(taskFields, `index ${i.key} field ${path}`).toContain(path.split('.')[0]);
      return fields.map(([p, o]) => `${p} ${o}`).join(', ');
    });
    expect(shapes).toContain('userHash ASCENDING, createdAt DESCENDING, taskId DESCENDING');
    expect(shapes).toContain('status ASCENDING, createdAt ASCENDING');
    expect(shapes).toContain('status ASCENDING, completedAt ASCENDING');
    expect(shapes.some((s) => s.includes('error.code'))).toBe(true);
  });

  it('grants no primitive role, and never a whole project’s IAM policy', () => {
    const primitive = ['roles/owner', 'roles/editor', 'roles/viewer'];
    const text = infra.files.map((f) => readFileSync(join(INFRA, f), 'utf8')).join('\n');
    for (const role of primitive) expect(text).not.toContain(`"${role}"`);
    const iam = infra.instances.filter((i) => /_iam_(member|binding|policy)$/.test(i.type));
    expect(iam.length).toBeGreaterThan(10);
    for (const b of iam) {
      const roles = [...JSON.stringify(b.body).matchAll(/roles\/[\w.]+/g)].map((m) => m[0]);
      for (const role of roles) expect(primitive, `${b.type}.${b.name}`).not.toContain(role);
      expect(b.type).not.toMatch(/^google_project_iam_(binding|policy)$/);
    }
  });

  it('gives each function its own service account', () => {
    const fn = of(infra, 'google_service_account').filter((s) => s.name === 'fn');
    expect(fn.map((s) => s.key).sort()).toEqual([...FUNCTION_NAMES].sort());
  });
});

describe('the deployment pipeline', () => {
  const none = { github_owner: '', github_repo: '', build_repository: '' };
  const github = { ...none, github_owner: 'example', github_repo: 'docvault' };
  const connection = { ...none, build_repository: 'projects/p/locations/europe-west1/connections/github/repositories/docvault' };
  const trigger = (): Instance => {
    const triggers = of(infra, 'google_cloudbuild_trigger');
    expect(triggers.map(addressOf)).toEqual(['google_cloudbuild_trigger.deploy']);
    return triggers[0]!;
  };
  const withVars = (inst: Instance, vars: Record<string, unknown>): Scope => ({ ...inst.scope, vars: { ...vars, region: 'europe-west1' } });

  it('runs cloudbuild.yaml, a file of the repository, on pushes to main', () => {
    const t = trigger();
    expect(t.body.filename).toBe('cloudbuild.yaml');
    expect(existsSync(join(ROOT, String(t.body.filename))), 'cloudbuild.yaml exists').toBe(true);
    expect(infra.variables.build_trigger_branch?.default).toBe('^main$');

    const onGitHub = blocksIn(t.body, 'github', withVars(t, github));
    expect(onGitHub).toHaveLength(1);
    expect(resolve(onGitHub[0]!.block.owner, onGitHub[0]!.scope)).toBe('example');
    expect(resolve(onGitHub[0]!.block.name, onGitHub[0]!.scope)).toBe('docvault');
    expect(asBlock(onGitHub[0]!.block.push).branch).toBe('${var.build_trigger_branch}');
    expect(blocksIn(t.body, 'repository_event_config', withVars(t, github))).toEqual([]);

    const onConnection = blocksIn(t.body, 'repository_event_config', withVars(t, connection));
    expect(onConnection).toHaveLength(1);
    expect(resolve(onConnection[0]!.block.repository, onConnection[0]!.scope)).toBe(connection.build_repository);
    expect(asBlock(onConnection[0]!.block.push).branch).toBe('${var.build_trigger_branch}');
    expect(blocksIn(t.body, 'github', withVars(t, connection))).toEqual([]);
  });

  it('exists, with its account and grants, only when a repository is named', () => {
    const t = trigger();
    const account = of(infra, 'google_service_account').find((s) => s.name === 'deploy')!;
    const roles = of(infra, 'google_project_iam_member').find((g) => g.name === 'deploy')!;
    for (const [vars, n] of [[none, 0], [github, 1], [connection, 1]] as const) {
      expect(resolve(t.body.count, withVars(t, vars)), JSON.stringify(vars)).toBe(n);
      expect(resolve(account.body.count, withVars(account, vars))).toBe(n);
      expect(Object.keys(resolve(roles.body.for_each, withVars(roles, vars)) as Block).length > 0).toBe(n === 1);
    }
    for (const name of ['github_owner', 'github_repo', 'build_repository']) expect(infra.variables[name]?.default, name).toBe('');
  });

  it('gives cloudbuild.yaml the substitutions it declares, and no other', () => {
    const t = trigger();
    const yaml = readFileSync(join(ROOT, String(t.body.filename)), 'utf8');
    const declared = Object.keys(asBlock(t.body.substitutions));
    const inYaml = new Set([...yaml.matchAll(/^ {2}(_[A-Z0-9_]+):/gm)].map((m) => m[1]!));
    const used = new Set([...yaml.matchAll(/\$\{?(_[A-Z0-9_]+)/g)].map((m) => m[1]!));
    expect(declared.sort()).toEqual(['_REGION', '_TF_STATE_BUCKET']);
    for (const key of declared) {
      expect(inYaml.has(key), `${key} is declared in cloudbuild.yaml`).toBe(true);
      expect(used.has(key), `${key} is used in cloudbuild.yaml`).toBe(true);
    }
    const substitutions = asBlock(t.body.substitutions);
    expect(substitutions._REGION).toBe('${var.region}');
    expect(str(t, substitutions._TF_STATE_BUCKET)).toContain('-tfstate'); // README: gs://$PROJECT-tfstate
  });

  it('runs as its own account, with no primitive role and project IAM only over the roles infra/ grants', () => {
    const t = trigger();
    expect(t.body.service_account).toBe('${google_service_account.deploy[0].id}');
    const primitive = ['roles/owner', 'roles/editor', 'roles/viewer'];
    const projectIamAdmin = 'roles/resourcemanager.projectIamAdmin';

    // Every role granted on the project, with the trigger on.
    const grants = of(infra, 'google_project_iam_member').flatMap((g) => {
      if (g.key !== undefined || g.body.for_each === undefined) return [{ grant: g, role: str(g, g.body.role) }];
      const each = resolve(g.body.for_each, withVars(g, github));
      expect(each, `${g.name}'s for_each`).toBeTypeOf('object');
      return Object.values(each as Block).map((value) => ({ grant: g, role: str({ ...g, scope: { ...g.scope, each: { key: String(value), value } } }, g.body.role) }));
    });
    for (const { grant, role } of grants) {
      expect(role, grant.name).toMatch(/^roles\/[\w.]+$/);
      expect(primitive).not.toContain(role);
    }
    const deployRoles = grants.filter(({ grant }) => str(grant, grant.body.member).includes('google_service_account.deploy[0]')).map(({ role }) => role);
    expect(deployRoles).toEqual(expect.arrayContaining(['roles/run.admin', 'roles/cloudfunctions.developer', 'roles/iam.serviceAccountUser', projectIamAdmin]));

    // Project IAM Admin only with a condition that limits it to the roles infra/ grants on the project.
    const admins = grants.filter(({ role }) => role === projectIamAdmin);
    expect(admins.map(({ grant }) => grant.name)).toEqual(['deploy_project_grants']);
    const condition = asBlock(admins[0]!.grant.body.condition);
    const expression = str(admins[0]!.grant, condition.expression);
    const m = /^api\.getAttribute\('iam\.googleapis\.com\/modifiedGrantsByRole', \[\]\)\.hasOnly\((\[.*\])\)$/.exec(expression);
    expect(m, expression).not.toBeNull();
    const grantable = JSON.parse(m![1]!) as string[];
    for (const { role } of grants) if (role !== projectIamAdmin) expect(grantable, `the deploy account may grant ${role}`).toContain(role);
    for (const role of [projectIamAdmin, ...primitive]) expect(grantable).not.toContain(role);
  });
});

describe('the dead-letter alert', () => {
  const policies = () => of(infra, 'google_monitoring_alert_policy');

  it('fires while the dead-letter sink subscription holds any message', () => {
    const alerts = policies().filter((p) => JSON.stringify(p.body).includes('subscription/num_undelivered_messages'));
    expect(alerts.map(addressOf)).toEqual(['google_monitoring_alert_policy.dead_letters']);
    const conditions = blocks(alerts[0]!.body.conditions);
    expect(conditions).toHaveLength(1);
    const threshold = asBlock(conditions[0]!.condition_threshold);
    const filter = String(threshold.filter);
    expect(filter).toContain('metric.type = "pubsub.googleapis.com/subscription/num_undelivered_messages"');
    expect(filter).toContain('resource.type = "pubsub_subscription"');
    expect(threshold.comparison).toBe('COMPARISON_GT');
    expect(threshold.threshold_value).toBe(0);

    // The subscription it watches is the real sink: named as shared/names.ts, on the dead-letter topic.
    const watched = /resource\.labels\.subscription_id = "\$\{google_pubsub_subscription\.(\w+)\.name\}"/.exec(filter);
    expect(watched, filter).not.toBeNull();
    const sink = of(infra, 'google_pubsub_subscription').find((s) => s.name === watched![1] && s.key === undefined);
    expect(sink, `google_pubsub_subscription.${watched![1]}`).toBeDefined();
    expect(str(sink!, sink!.body.name)).toBe(DEAD_LETTER_SUBSCRIPTION);
    const topic = /^\$\{google_pubsub_topic\.(\w+)\.id\}$/.exec(String(sink!.body.topic));
    const deadLetterTopic = of(infra, 'google_pubsub_topic').find((t) => t.name === topic?.[1]);
    expect(deadLetterTopic && str(deadLetterTopic, deadLetterTopic.body.name)).toBe(DEAD_LETTER_TOPIC);
    // …which no push endpoint drains: it only fills up until an operator acts.
    expect(sink!.body.push_config).toBeUndefined();
  });

  it('notifies the channels of alert_notification_channels, none by default', () => {
    const [alert] = policies();
    expect(alert!.body.notification_channels).toBe('${var.alert_notification_channels}');
    expect(infra.variables.alert_notification_channels?.type).toBe('${list(string)}');
    expect(infra.variables.alert_notification_channels?.default).toEqual([]);
  });

  it('tells the operator what to do, with commands the CLI has', () => {
    const [alert] = policies();
    const doc = asBlock(alert!.body.documentation);
    expect(doc.mime_type).toBe('text/markdown');
    const content = String(doc.content);
    expect(content).toContain('already FAILED');
    expect(content).toContain('npx docvault queue stats');
    expect(content).toMatch(/npx docvault queue requeue-failed --code \w+/);
    expect(content).toContain('${google_pubsub_subscription.dead_letter_sink.name}');

    const program = new Command();
    registerQueueCommand(program);
    const queue = program.commands.find((c) => c.name() === 'queue');
    expect(queue?.commands.map((c) => c.name())).toEqual(expect.arrayContaining(['stats', 'requeue-failed']));
    const requeue = queue!.commands.find((c) => c.name() === 'requeue-failed')!;
    expect(requeue.options.map((o) => o.long)).toContain('--code');
    const bin = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin?: Record<string, string> }).bin ?? {};
    expect(Object.keys(bin)).toContain('docvault');
  });

  it('has its API enabled', () => {
    const apis = of(infra, 'google_project_service').map((s) => s.key);
    expect(apis).toContain('monitoring.googleapis.com');
  });
});
