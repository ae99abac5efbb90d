// The Blockwork run viewer: graphs drawn with Mermaid from their GraphDefs, runs with a live
// timeline (SSE), block details, suspensions answered through a form generated from the resume
// schema, and diffs between graph versions. Plain DOM; the server's /ui/api routes feed it.
import mermaid from "mermaid";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Schema = { type?: string | string[]; properties?: Record<string, Schema>; required?: string[]; enum?: Json[]; const?: Json; description?: string; items?: Schema; anyOf?: Schema[]; oneOf?: Schema[] };

interface GraphInfo {
  assistantId: string;
  graphId: string;
  version: string;
  number: number;
  description: string | null;
  mermaid: string;
  mermaidCollapsed: string;
  versions: string[];
}
interface RunSummary {
  id: string;
  graphId: string;
  version: string;
  status: string;
  createdAt: number;
  updatedAt: number;
}
interface Entry {
  seq: number;
  kind: string;
  path: string;
  act: number;
  attempt: number;
  at: number;
  output?: Json;
  error?: Json;
  payload?: Json;
  data?: Json;
  delayMs?: number;
  restart?: number;
  restarted?: string[];
}
interface Report {
  afterSeq: number;
  n: number;
  event: Record<string, Json>;
}
interface RunDetail {
  record: RunSummary & { input: Json; output?: Json; error?: { code: string; message: string; path?: string } };
  journal: Entry[];
  reports: Report[];
  inputs: Record<string, Json>;
  suspensions: { id: string; path: string; payload: Json; resumeSchema: Schema | null }[];
  served: boolean;
  threadId: string | null;
  graph: { id: string; mermaid: string; mermaidCollapsed: string } | null;
}

mermaid.initialize({ startOnLoad: false, securityLevel: "strict", flowchart: { htmlLabels: false } });

const $ = (id: string) => document.getElementById(id) as HTMLElement;

/** Creates an element: `h("a", { href: "#" }, "text", child)`. */
function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | boolean | ((e: Event) => void)> = {}, ...children: (Node | string | null | undefined)[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (typeof value === "function") el.addEventListener(key.replace(/^on/, ""), value);
    else if (typeof value === "boolean") {
      if (value) el.setAttribute(key, "");
    } else el.setAttribute(key, value);
  }
  for (const child of children) if (child !== null && child !== undefined) el.append(child);
  return el;
}

const json = (value: unknown) => h("pre", {}, JSON.stringify(value, null, 2));
const time = (ms: number) => new Date(ms).toLocaleTimeString();

async function api<T>(path: string, init?: RequestInit): Promise<T> {
  const response = await fetch(path, { credentials: "same-origin", ...init });
  const body = (await response.json()) as T & { error?: string; message?: string };
  if (!response.ok) throw Object.assign(new Error(body.message ?? response.statusText), { body, status: response.status });
  return body;
}

let renderCount = 0;
/** Draws Mermaid text into `container`. */
async function draw(container: HTMLElement, text: string): Promise<void> {
  const { svg } = await mermaid.render(`graph-${++renderCount}`, text);
  container.innerHTML = svg;
  container.dataset["drawn"] = "true";
}

let graphs: GraphInfo[] = [];

async function loadGraphs(): Promise<void> {
  graphs = await api<GraphInfo[]>("/ui/api/graphs");
  $("graphs").replaceChildren(...graphs.map((g) => h("li", {}, h("a", { href: `#/graph/${g.assistantId}` }, g.graphId), g.number > 1 ? h("span", { class: "muted" }, ` v${g.number}`) : null)));
}

async function loadRuns(): Promise<void> {
  const status = ($("status-filter") as HTMLSelectElement).value;
  const runs = await api<RunSummary[]>(`/ui/api/runs${status ? `?status=${status}` : ""}`);
  $("runs").replaceChildren(
    ...runs.map((r) => h("li", { "data-run": r.id }, h("a", { href: `#/run/${r.id}` }, `${r.graphId} `), h("span", { class: `status ${r.status}` }, r.status), h("div", { class: "muted" }, `${r.id.slice(0, 8)} · ${time(r.createdAt)}`))),
  );
  if (runs.length === 0) $("runs").replaceChildren(h("li", { class: "muted" }, "no runs"));
}

// --- a graph ---------------------------------------------------------------------------------

async function showGraph(assistantId: string): Promise<void> {
  const graph = graphs.find((g) => g.assistantId === assistantId);
  if (graph === undefined) return showError(`no graph ${assistantId}`);
  const drawing = h("div", { class: "graph", "data-testid": "graph" });
  const expand = h("input", { type: "checkbox", checked: true, "data-testid": "expand" }) as HTMLInputElement;
  expand.addEventListener("change", () => void draw(drawing, expand.checked ? graph.mermaid : graph.mermaidCollapsed));
  const from = h("select", { "data-testid": "diff-from" }, ...graph.versions.map((v) => h("option", { value: v }, v)));
  const to = h("select", { "data-testid": "diff-to" }, ...graph.versions.map((v) => h("option", { value: v }, v)));
  const diffOut = h("div", { "data-testid": "diff" });
  const compare = h("button", {
    type: "button",
    onclick: async () => {
      const diff = await api<{ text: string; mermaid: string; breaking: boolean }>(`/ui/api/diff?from=${from.value}&to=${to.value}`);
      const picture = h("div", { class: "graph" });
      diffOut.replaceChildren(h("p", {}, diff.breaking ? "Breaking." : "Compatible."), h("pre", {}, diff.text), picture);
      await draw(picture, diff.mermaid);
    },
  }, "Compare");
  $("main").replaceChildren(
    h("h1", {}, graph.graphId, h("span", { class: "muted" }, ` version ${graph.version}`)),
    graph.description ? h("p", {}, graph.description) : "",
    h("label", {}, expand, " expand subgraphs"),
    drawing,
    h("h2", {}, "Compare versions"),
    graph.versions.length > 1 ? h("p", {}, from, " → ", to, " ", compare) : h("p", { class: "muted" }, "Only one version of this graph is known here (served, or used by a run)."),
    diffOut,
  );
  await draw(drawing, graph.mermaid);
}

// --- a run -----------------------------------------------------------------------------------

let live: EventSource | undefined;

function describe(entry: Entry): string {
  switch (entry.kind) {
    case "block.completed":
      return `${entry.path} completed`;
    case "block.failed":
      return `${entry.path} failed with a typed error`;
    case "attempt.failed":
      return `${entry.path} attempt ${entry.attempt} failed; retry in ${entry.delayMs} ms`;
    case "item.failed":
      return `${entry.path} item failed`;
    case "block.restarted":
      return `${entry.path} restarted (restart ${entry.restart}: ${(entry.restarted ?? []).join(", ")})`;
    case "block.suspended":
      return `${entry.path} suspended: waits for a person`;
    case "block.resumed":
      return `${entry.path} resumed`;
    case "run.upgraded":
      return "the run moved to a new graph version";
    default:
      return entry.kind;
  }
}

/** One form field per property of the resume schema; anything else is edited as JSON. */
function field(name: string, schema: Schema, required: boolean): { el: HTMLElement; read: () => Json | undefined } {
  const label = `${name}${required ? "" : " (optional)"}`;
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  if (schema.enum) {
    const select = h("select", { name }, ...(required ? [] : [h("option", { value: "" }, "")]), ...schema.enum.map((v) => h("option", { value: JSON.stringify(v) }, String(v))));
    return { el: h("label", {}, `${label} `, select), read: () => (select.value === "" ? undefined : (JSON.parse(select.value) as Json)) };
  }
  if (type === "boolean") {
    const box = h("input", { type: "checkbox", name }) as HTMLInputElement;
    return { el: h("label", {}, box, ` ${label}`), read: () => box.checked };
  }
  if (type === "string") {
    const input = h("input", { type: "text", name }) as HTMLInputElement;
    return { el: h("label", {}, `${label} `, input), read: () => (input.value === "" && !required ? undefined : input.value) };
  }
  if (type === "number" || type === "integer") {
    const input = h("input", { type: "number", name, step: type === "integer" ? "1" : "any" }) as HTMLInputElement;
    return { el: h("label", {}, `${label} `, input), read: () => (input.value === "" ? undefined : Number(input.value)) };
  }
  if (type === "object" && schema.properties) {
    const fields = Object.entries(schema.properties).map(([key, sub]) => [key, field(key, sub, (schema.required ?? []).includes(key))] as const);
    return {
      el: h("fieldset", {}, h("legend", {}, label), ...fields.map(([, f]) => f.el)),
      read: () => {
        const out: Record<string, Json> = {};
        for (const [key, f] of fields) {
          const v = f.read();
          if (v !== undefined) out[key] = v;
        }
        return out;
      },
    };
  }
  const area = h("textarea", { name, rows: "3", cols: "40", placeholder: "JSON" }) as HTMLTextAreaElement;
  return { el: h("label", {}, `${label} (JSON) `, area), read: () => (area.value.trim() === "" ? undefined : (JSON.parse(area.value) as Json)) };
}

function resumeForm(runId: string, suspension: RunDetail["suspensions"][number]): HTMLElement {
  const schema = suspension.resumeSchema ?? {};
  const root = field("answer", schema, true);
  const issues = h("div", { class: "issues", "data-testid": "resume-issues" });
  const form = h(
    "form",
    { class: "resume", "data-testid": `resume-${suspension.id}` },
    h("strong", {}, `${suspension.id} waits for a person`),
    json(suspension.payload),
    root.el,
    h("button", { type: "submit" }, "Resume"),
    issues,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void (async () => {
      try {
        await api(`/ui/api/runs/${runId}/resume`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ block: suspension.id, data: root.read() }) });
        form.replaceChildren(h("p", { "data-testid": "resumed" }, `${suspension.id} resumed.`));
      } catch (error) {
        const body = (error as { body?: { message?: string; issues?: { path: string[]; message: string }[] } }).body;
        issues.replaceChildren(h("p", {}, body?.message ?? String(error)), ...(body?.issues ?? []).map((i) => h("div", {}, `${i.path.join(".") || "(value)"}: ${i.message}`)));
      }
    })();
  });
  return form;
}

function blocksTable(detail: RunDetail): HTMLElement {
  const rows = new Map<string, { attempts: number; restarts: number; errors: Json[]; output?: Json; calls: Report[] }>();
  const row = (path: string) => {
    let r = rows.get(path);
    if (r === undefined) rows.set(path, (r = { attempts: 0, restarts: 0, errors: [], calls: [] }));
    return r;
  };
  for (const entry of detail.journal) {
    if (entry.kind === "run.upgraded") continue;
    const r = row(entry.path);
    r.attempts = Math.max(r.attempts, entry.attempt);
    if (entry.kind === "block.completed") r.output = entry.output ?? null;
    if (entry.kind === "block.restarted") r.restarts++;
    if (entry.error !== undefined) r.errors.push(entry.error);
  }
  for (const report of detail.reports) row(String(report.event["path"] ?? "")).calls.push(report);
  return h(
    "table",
    { "data-testid": "blocks" },
    h("thead", {}, h("tr", {}, ...["block", "input", "output", "attempts", "restarts", "errors", "model and tool calls"].map((t) => h("th", {}, t)))),
    h(
      "tbody",
      {},
      ...[...rows].map(([path, r]) =>
        h(
          "tr",
          { "data-block": path },
          h("td", {}, path),
          h("td", {}, path in detail.inputs ? json(detail.inputs[path]) : h("span", { class: "muted" }, "—")),
          h("td", {}, r.output !== undefined ? json(r.output) : h("span", { class: "muted" }, "—")),
          h("td", {}, String(r.attempts)),
          h("td", {}, String(r.restarts)),
          h("td", {}, r.errors.length ? json(r.errors) : ""),
          h(
            "td",
            {},
            ...r.calls.map((c) =>
              h(
                "div",
                { class: "call" },
                c.event["type"] === "block.usage"
                  ? `${c.event["model"]} #${c.event["call"]}: context ${c.event["contextTokens"]} tokens, in ${c.event["inputTokens"] ?? "?"} / out ${c.event["outputTokens"] ?? "?"}, ${c.event["latencyMs"]} ms, ${c.event["outcome"]}`
                  : `tool ${c.event["tool"]}: ${c.event["ok"] ? "ok" : `failed (${c.event["error"]})`}, ${c.event["durationMs"]} ms`,
              ),
            ),
          ),
        ),
      ),
    ),
  );
}

async function showRun(id: string): Promise<void> {
  live?.close();
  const detail = await api<RunDetail>(`/ui/api/runs/${id}`);
  const drawing = h("div", { class: "graph", "data-testid": "run-graph" });
  const status = h("span", { class: `status ${detail.record.status}`, "data-testid": "run-status" }, detail.record.status);
  const timeline = h("ol", { class: "timeline", "data-testid": "timeline" });
  const outcome = h("div", { "data-testid": "outcome" });
  const expand = h("input", { type: "checkbox", checked: true }) as HTMLInputElement;
  const setOutcome = (d: Pick<RunDetail["record"], "output" | "error" | "status">) => {
    outcome.replaceChildren(d.status === "completed" ? h("div", {}, h("h2", {}, "Output"), json(d.output)) : d.error ? h("div", {}, h("h2", {}, "Error"), json(d.error)) : "");
  };
  // One form per open suspension, kept across refreshes: replacing it would drop what the person
  // has typed and the issues a refused resume showed in it.
  const forms = new Map<string, HTMLElement>();
  const formsFor = (open: RunDetail["suspensions"]) => {
    for (const key of forms.keys()) if (!open.some((s) => s.id === key)) forms.delete(key);
    return open.map((s) => {
      let form = forms.get(s.id);
      if (form === undefined) forms.set(s.id, (form = resumeForm(id, s)));
      return form;
    });
  };
  const suspensions = h("div", { "data-testid": "suspensions" }, ...formsFor(detail.suspensions));
  const blocks = h("div", {}, blocksTable(detail));
  $("main").replaceChildren(
    h("h1", {}, `${detail.record.graphId} `, status),
    h("p", { class: "muted" }, `run ${id} · version ${detail.record.version}${detail.threadId ? ` · thread ${detail.threadId}` : ""}`),
    h("label", {}, expand, " expand subgraphs"),
    drawing,
    suspensions,
    h("h2", {}, "Input"),
    json(detail.record.input),
    outcome,
    h("h2", {}, "Timeline"),
    timeline,
    h("h2", {}, "Blocks"),
    blocks,
  );
  setOutcome(detail.record);
  const redraw = () => (detail.graph ? draw(drawing, expand.checked ? detail.graph.mermaid : detail.graph.mermaidCollapsed) : Promise.resolve());
  expand.addEventListener("change", () => void redraw());
  await redraw();

  // The live timeline: every journal entry as it is written, from the start.
  let refresh: ReturnType<typeof setTimeout> | undefined;
  const reload = () => {
    clearTimeout(refresh);
    refresh = setTimeout(async () => {
      if (location.hash !== `#/run/${id}`) return;
      const next = await api<RunDetail>(`/ui/api/runs/${id}`);
      Object.assign(detail, next);
      blocks.replaceChildren(blocksTable(next));
      suspensions.replaceChildren(...formsFor(next.suspensions));
      await redraw();
      void loadRuns();
    }, 150);
  };
  live = new EventSource(`/ui/api/runs/${id}/events`);
  live.addEventListener("entry", (e) => {
    const entry = JSON.parse((e as MessageEvent<string>).data) as Entry;
    timeline.append(h("li", { "data-seq": String(entry.seq), "data-kind": entry.kind }, h("span", { class: "muted" }, `${time(entry.at)} `), describe(entry)));
    reload();
  });
  live.addEventListener("report", (e) => {
    const report = JSON.parse((e as MessageEvent<string>).data) as Report;
    timeline.append(h("li", { class: "muted" }, `${report.event["path"]}: ${report.event["type"] === "block.usage" ? `model call (${report.event["contextTokens"]} context tokens)` : `tool ${report.event["tool"]}`}`));
    reload();
  });
  live.addEventListener("status", (e) => {
    const data = JSON.parse((e as MessageEvent<string>).data) as { status: string; output: Json; error: RunDetail["record"]["error"] | null };
    status.textContent = data.status;
    status.className = `status ${data.status}`;
    setOutcome({ status: data.status, output: data.output, ...(data.error ? { error: data.error } : {}) });
    if (data.status !== "running" && data.status !== "suspended") live?.close();
    reload();
  });
}

function showError(message: string): void {
  $("main").replaceChildren(h("p", { class: "issues" }, message));
}

async function route(): Promise<void> {
  const [, kind, id] = location.hash.split("/");
  try {
    if (kind === "graph" && id) await showGraph(id);
    else if (kind === "run" && id) await showRun(id);
    else $("main").replaceChildren(h("p", { class: "muted" }, "Pick a graph or a run."));
  } catch (error) {
    showError(error instanceof Error ? error.message : String(error));
  }
}

$("status-filter").addEventListener("change", () => void loadRuns());
window.addEventListener("hashchange", () => void route());
await loadGraphs();
await loadRuns();
setInterval(() => void loadRuns(), 5_000);
await route();
document.body.dataset["ready"] = "true";
