// The analysts' page: pick a data set (or upload one), a period and a kind of outcome; see the
// decisions with filters and counts; click one for its explanation tree, its why-not siblings and
// its dependency picture. Everything comes from the service's JSON endpoints; nothing is computed here.
"use strict";

const WORDS = {
  zh: {
    title: "决策浏览", switch: "English", dataset: "数据集", upload: "或上传文件（JSON、CSV、xlsx 或 zip）", uploadFolder: "或上传数据文件夹（每类主体一个表）", period: "期间",
    kind: "结果类别", evaluate: "评估", outcomeKind: "结果类别", policy: "政策", entity: "主体",
    entityKind: "主体类型", outcome: "结果", amount: "金额/数值", rule: "规则", clause: "条款", status: "状态",
    siblings: "同一条款的其他结果", picture: "依赖关系图", all: "全部", loading: "正在计算…",
    decisions: "条决定", shown: "显示 {n} / 共 {m} 条", uploaded: "已上传", policySet: "政策集",
    because: "依据", facts: "读取的事实", quote: "原文", missing: "缺失", failed: "不满足的条件",
    whyNot: "为什么没有", back: "返回该决定", none: "无", static: "静态", amountUnit: "万元",
    holds: "成立", fails: "不成立", unknown: "未知", superseded_by: "被取代于", noPeriods: "（无期间）",
    badFile: "文件无法读取", reading: "正在读取文件…", error: "错误",
    kinds: {sanction: "惩戒", reward: "奖励", eligibility: "资格", measure: "措施", classification: "认定",
            target: "目标", deadline: "时限", computed: "计算值", status: "文件效力"},
    statuses: {active: "适用", superseded: "已被取代", not_fired: "未触发", not_evaluable: "数据缺失，无法判定",
               no_record: "该期间无数据", not_in_force: "政策不适用", no_rule: "无规则产生此结果",
               per_year: "规则按年度评价", per_quarter: "规则按季度评价"},
  },
  en: {
    title: "Decisions", switch: "中文", dataset: "Data set", upload: "or upload files (JSON, CSV, xlsx or zip)", uploadFolder: "or upload a data folder (a table per kind)", period: "Period",
    kind: "Kind of outcome", evaluate: "Evaluate", outcomeKind: "Kind", policy: "Policy", entity: "Entity",
    entityKind: "Entity kind", outcome: "Outcome", amount: "Amount/value", rule: "Rule", clause: "Clause",
    status: "Status", siblings: "Other outcomes of the same clause", picture: "Dependency picture", all: "all",
    loading: "evaluating…", decisions: "decisions", shown: "showing {n} of {m}", uploaded: "uploaded",
    policySet: "policy set", because: "because", facts: "facts read", quote: "quoted", missing: "missing",
    failed: "what failed", whyNot: "why not", back: "back to the decision", none: "none", static: "static",
    amountUnit: "万元", holds: "holds", fails: "does not hold", unknown: "unknown", superseded_by: "superseded by",
    noPeriods: "(no periods)", badFile: "the files cannot be read", reading: "reading the files…", error: "error",
    kinds: {sanction: "sanction", reward: "reward", eligibility: "eligibility", measure: "measure",
            classification: "classification", target: "target", deadline: "deadline", computed: "computed",
            status: "document status"},
    statuses: {active: "applies", superseded: "superseded", not_fired: "did not happen",
               not_evaluable: "missing data", no_record: "no data for this period",
               not_in_force: "policy not in force", no_rule: "no rule produces it",
               per_year: "its rules are yearly", per_quarter: "its rules are quarterly"},
  },
};
const KIND_ORDER = ["sanction", "reward", "eligibility", "measure", "classification", "target", "deadline",
                    "computed", "status"];

const state = {lang: "zh", datasets: [], uploaded: null, decisions: [], current: null, shownQuestion: null};
const $ = (id) => document.getElementById(id);
const t = (key) => WORDS[state.lang][key] ?? key;
const kindName = (kind) => WORDS[state.lang].kinds[kind] ?? kind;
const statusName = (status) => WORDS[state.lang].statuses[status] ?? status;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

async function api(path, body) {
  const response = await fetch(path, body === undefined ? {} : {
    method: "POST", headers: {"content-type": "application/json"}, body: JSON.stringify(body)});
  const payload = await response.json();
  if (!response.ok) {
    const problems = payload.problems ? "\n" + payload.problems.join("\n") : "";
    throw new Error(`${payload.error}${problems}`);
  }
  return payload;
}

function say(text, isError = false) {
  $("status").textContent = text;
  $("status").className = isError ? "error" : "muted";
}

// ---- language ----------------------------------------------------------------------------------

function applyLanguage() {
  document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  fillKinds();
  if (state.decisions.length) showDecisions();
  if (state.shownQuestion) explain(...state.shownQuestion);
}

// ---- choosing the data -------------------------------------------------------------------------

function source() {
  if (state.uploaded && $("dataset").value === "__upload__") return {dataset: state.uploaded.name};
  return {dataset: $("dataset").value};
}

function fillPeriods(periods) {
  const years = periods.filter((p) => !p.includes("-"));
  const choices = [...years.reverse(), ...periods.filter((p) => p.includes("-")).reverse()];
  $("period").replaceChildren(...choices.map((p) => el("option", {value: p}, p)));
  if (!choices.length) $("period").append(el("option", {value: ""}, t("noPeriods")));
}

function fillKinds() {
  const chosen = $("kind").value;
  $("kind").replaceChildren(el("option", {value: ""}, t("all")),
    ...KIND_ORDER.map((k) => el("option", {value: k}, kindName(k))));
  $("kind").value = chosen;
}

function datasetChanged() {
  if ($("dataset").value === "__upload__") return fillPeriods(state.uploaded.periods);
  const chosen = state.datasets.find((d) => d.name === $("dataset").value);
  fillPeriods(chosen ? chosen.periods : []);
}

// Uploaded files are read by the server with the loader of `--data` (JSON, CSV, xlsx, a zip of
// tables per kind); its located messages are shown as they are.
async function readUpload(files) {
  say(t("reading"));
  const form = new FormData();
  for (const file of files) form.append("file", file, file.name);
  try {
    const response = await fetch("/v1/upload", {method: "POST", body: form});
    const payload = await response.json();
    if (!response.ok) {
      const lines = [...(payload.problems ?? []), ...(payload.warnings ?? []).map((w) => `warning: ${w.text}`)];
      throw new Error(`${payload.error}${lines.length ? "\n" + lines.join("\n") : ""}`);
    }
    state.uploaded = {name: payload.dataset, periods: payload.periods};
    const folder = files[0].webkitRelativePath ? files[0].webkitRelativePath.split("/")[0] : null;
    const names = folder ? `${folder}/` : [...files].map((f) => f.name).join(", ");
    $("dataset").querySelector('option[value="__upload__"]')?.remove();
    $("dataset").append(el("option", {value: "__upload__"}, `${t("uploaded")}: ${names}`));
    $("dataset").value = "__upload__";
    datasetChanged();
    say("");
  } catch (err) {
    say(`${t("badFile")}: ${err.message}`, true);
  }
}

// ---- decisions ---------------------------------------------------------------------------------

async function evaluate() {
  say(t("loading"));
  $("detail").hidden = true;
  state.shownQuestion = null;
  const body = {...source(), all: true};
  if ($("period").value) body.period = $("period").value;
  if ($("kind").value) body.kind = [$("kind").value];
  try {
    const answer = await api("/v1/evaluate", body);
    state.decisions = answer.decisions;
    say(`${answer.decisions.length} ${t("decisions")} · ${answer.request_id}`);
    fillFilters();
    showDecisions();
  } catch (err) {
    say(`${t("error")}: ${err.message}`, true);
  }
}

function fillFilters() {
  const kinds = KIND_ORDER.filter((k) => state.decisions.some((d) => d.outcome_kind === k));
  const policies = [...new Set(state.decisions.map((d) => d.policy))].sort();
  $("filter-kind").replaceChildren(el("option", {value: ""}, t("all")),
    ...kinds.map((k) => el("option", {value: k}, kindName(k))));
  $("filter-policy").replaceChildren(el("option", {value: ""}, t("all")),
    ...policies.map((p) => el("option", {value: p}, p)));
}

function payloadText(d) {
  const shown = [];
  if (d.amount !== null && d.amount !== undefined) shown.push(`${d.amount} ${t("amountUnit")}`);
  if (d.value !== null && d.value !== undefined && typeof d.value === "object") {
    // named payload fields: `amount_min = 500`, the optional ones left unset omitted
    shown.push(Object.entries(d.value).filter(([, v]) => v !== null).map(([k, v]) => `${k} = ${v}`).join(", "));
  } else if (d.value !== null && d.value !== undefined) shown.push(String(d.value));
  return shown.join("; ");
}

function showDecisions() {
  const kind = $("filter-kind").value, policy = $("filter-policy").value;
  const entity = $("filter-entity").value.trim().toLowerCase();
  const shown = state.decisions.filter((d) => (!kind || d.outcome_kind === kind) && (!policy || d.policy === policy)
    && (!entity || d.entity.toLowerCase().includes(entity)));
  const counts = {};
  for (const d of state.decisions) counts[d.outcome_kind] = (counts[d.outcome_kind] ?? 0) + 1;
  $("counts").replaceChildren(...KIND_ORDER.filter((k) => counts[k]).map((k) =>
    el("button", {type: "button", class: "count" + (kind === k ? " chosen" : ""), "data-kind": k,
                  onclick: () => { $("filter-kind").value = kind === k ? "" : k; showDecisions(); }},
       `${kindName(k)} `, el("b", {}, counts[k]))));
  $("shown").textContent = t("shown").replace("{n}", shown.length).replace("{m}", state.decisions.length);
  $("decisions").tBodies[0].replaceChildren(...shown.map((d) => el("tr", {
      class: `decision ${d.outcome_kind} ${d.status}`, tabindex: "0", "data-outcome": d.outcome,
      "data-entity": d.entity, onclick: () => explain(d.entity, d.outcome, d.period, "why")},
    el("td", {}, d.entity), el("td", {}, d.entity_kind), el("td", {}, d.period),
    el("td", {}, d.label ?? d.outcome, el("div", {class: "code"}, d.outcome)),
    el("td", {}, kindName(d.outcome_kind)), el("td", {class: "number"}, payloadText(d)),
    el("td", {class: "code"}, d.rule), el("td", {}, d.cite),
    el("td", {}, statusName(d.status), d.superseded_by ? el("div", {class: "code"}, `↑ ${d.superseded_by}`) : null))));
  $("results").hidden = false;
}

// ---- one decision: the explanation tree, its siblings, its picture -----------------------------

async function explain(entity, outcome, period, question) {
  state.shownQuestion = [entity, outcome, period, question];
  const path = question === "why" ? "/v1/explain" : "/v1/why-not";
  try {
    const answer = await api(path, {...source(), entity, outcome, period, lang: state.lang});
    showExplanation(answer.explanation, question);
  } catch (err) {
    say(`${t("error")}: ${err.message}`, true);
  }
}

function valueText(node) {
  if (node.value === null || node.value === undefined) return node.missing ? `(${t("missing")})` : t("unknown");
  if (node.value === true) return t("holds");
  if (node.value === false) return t("fails");
  return String(node.value);
}

// A node as the explanation's renderer reads it in the chosen language (the server's message
// catalogue): Chinese shows names by their labels and expressions in words, with the identifier
// beside a labelled name; English shows the policy's own text with the label beside it.
const NAMED = new Set(["fact", "value", "parameter"]);
function nodeName(node) {
  if (state.lang === "zh" && NAMED.has(node.kind) && node.label) return [node.label, node.text];
  if (NAMED.has(node.kind)) return [node.text, node.label];
  return [state.lang === "zh" ? node.reading ?? node.text : node.text, null];
}

function traceItem(node) {
  if (node.kind === "const") return null;
  const mark = node.value === true ? "✓ " : node.value === false ? "✗ " : "";
  const where = node.kind === "fact" ? (node.period ? ` [${node.period}]` : ` [${t("static")}]`) : "";
  const [name, aside] = nodeName(node);
  const line = el("div", {class: `node ${node.kind}`},
    el("span", {class: "mark"}, mark), el("code", {}, name), where, " = ", el("b", {}, valueText(node)),
    aside ? el("span", {class: "label"}, ` ${aside}`) : null,
    // a derived value's arithmetic is shown once, on its definition below it
    node.arithmetic && node.kind !== "value" ? el("div", {class: "arithmetic"}, node.arithmetic) : null,
    ...(node.detail ?? []).map((d) => el("div", {class: "detail"}, d.text ?? d)),
    ...(node.members?.excluded ?? []).slice(0, 20).map((m) =>
      el("div", {class: "detail"}, `✗ ${m.entity}: ${m.why.join(state.lang === "zh" ? "；" : "; ")}`)),
    node.missing ? el("div", {class: "detail"}, `${t("missing")}: ${node.missing.join(", ")}`) : null);
  const children = (node.children ?? []).map(traceItem).filter(Boolean);
  return el("li", {}, line, children.length ? el("ul", {}, children) : null);
}

function showExplanation(e, question) {
  const title = `${e.entity} · ${e.period ?? "-"} · ${e.label ?? e.outcome}`;
  $("detail-title").textContent = (question === "why" ? "" : `${t("whyNot")}: `) + title;
  const body = [el("p", {class: "verdict"}, `${kindName(e.outcome_kind)} · ${statusName(e.status)}`,
                   e.decision && payloadText(e.decision) ? ` · ${payloadText(e.decision)}` : "")];
  for (const winner of e.superseded_by ?? []) {
    body.push(el("p", {}, `${t("superseded_by")} ${winner.rule} → ${winner.label ?? winner.outcome}`));
  }
  if (question !== "why" && state.current) {
    const [entity, outcome, period] = state.current;
    body.push(el("button", {type: "button", onclick: () => explain(entity, outcome, period, "why")}, t("back")));
  }
  for (const rule of e.rules) {
    const tree = rule.condition ? traceItem(rule.condition) : null;
    const failed = question !== "why" && !rule.fired ? rule.failed.map(traceItem).filter(Boolean) : [];
    body.push(el("div", {class: "rule"},
      el("div", {}, el("b", {}, `${t("rule")}: `), el("code", {}, rule.rule), ` · ${t("policy")} ${rule.policy}`),
      el("div", {class: "clause"}, el("b", {}, `${t("clause")}: `), rule.cite),
      rule.quote ? el("blockquote", {class: "quote"}, `「${rule.quote}」`) : null,
      rule.in_force === false ? el("div", {class: "clause"}, t("statuses").not_in_force) : null,
      failed.length ? el("div", {}, el("b", {}, `${t("failed")}:`), el("ul", {class: "trace"}, failed))
        : tree ? el("div", {}, el("b", {}, `${t("because")}:`), el("ul", {class: "trace"}, tree)) : null,
      ...(rule.payload ?? []).map((p) => el("ul", {class: "trace"}, traceItem(p)))));
  }
  if (e.facts?.length) {
    body.push(el("h3", {}, t("facts")), el("table", {class: "facts"}, el("tbody", {}, e.facts.map((f) =>
      el("tr", {}, el("td", {}, f.entity),
         el("td", {class: "code", title: f.fact}, state.lang === "zh" && f.label ? f.label : f.fact),
         el("td", {}, f.period ?? t("static")),
         el("td", {class: "number"}, f.value === null ? `(${t("missing")})` : String(f.value)))))));
  }
  $("detail-body").replaceChildren(...body);
  if (question === "why") state.current = [e.entity, e.outcome, e.period];
  $("siblings").replaceChildren(...(e.siblings ?? []).map((s) => el("li", {},
    el("a", {href: "#", onclick: (event) => { event.preventDefault();
      explain(e.entity, s.outcome, e.period, s.status === "active" || s.status === "superseded" ? "why" : "why-not"); }},
      s.label ?? s.outcome), ` (${s.rule}) — ${statusName(s.status)}`)));
  if (!(e.siblings ?? []).length) $("siblings").append(el("li", {class: "muted"}, t("none")));
  $("picture").replaceChildren(picture(e));
  $("detail").hidden = false;
  $("detail").scrollIntoView({block: "start"});
}

// The decision's own dependency picture: outcome ← rule ← condition ← values ← facts, as SVG.
function picture(e) {
  const NS = "http://www.w3.org/2000/svg";
  const boxes = [];
  const edges = [];
  let column = 0;
  function place(label, detail, kind, depth, children) {
    const start = column;
    const placed = children.map((c) => c());
    if (!placed.length) column += 1;
    const x = placed.length ? (placed[0].x + placed[placed.length - 1].x) / 2 : start;
    const box = {label, detail, kind, depth, x};
    boxes.push(box);
    for (const child of placed) edges.push([child, box]);
    return box;
  }
  function node(n, depth) {
    const kids = (n.children ?? []).filter((c) => c.kind !== "const").map((c) => () => node(c, depth + 1));
    const where = n.kind === "fact" && n.period ? ` [${n.period}]` : "";
    return place(`${nodeName(n)[0]}${where}`, n.arithmetic ?? `= ${valueText(n)}`, n.kind, depth, kids);
  }
  place(e.label ?? e.outcome, statusName(e.status), "outcome", 0, e.rules.map((r) => () =>
    place(`${r.rule} ${r.cite}`, r.fired ? t("holds") : t("fails"), "rule", 1,
          r.condition ? [() => node(r.condition, 2)] : [])));
  const W = 190, H = 64, GAP = 12;
  const depth = Math.max(...boxes.map((b) => b.depth)) + 1;
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("width", Math.max(column, 1) * (W + GAP));
  svg.setAttribute("height", depth * (H + 28));
  svg.setAttribute("class", "picture");
  const at = (b) => [b.x * (W + GAP) + W / 2, b.depth * (H + 28) + H / 2];
  for (const [from, to] of edges) {
    const [x1, y1] = at(from), [x2, y2] = at(to);
    const line = document.createElementNS(NS, "line");
    Object.entries({x1, y1: y1 - H / 2, x2, y2: y2 + H / 2, class: "edge"}).forEach(([k, v]) => line.setAttribute(k, v));
    svg.append(line);
  }
  for (const b of boxes) {
    const [cx, cy] = at(b);
    const group = document.createElementNS(NS, "g");
    group.setAttribute("class", `box ${b.kind}`);
    const rect = document.createElementNS(NS, "rect");
    Object.entries({x: cx - W / 2, y: cy - H / 2, width: W, height: H, rx: 6}).forEach(([k, v]) => rect.setAttribute(k, v));
    const tip = document.createElementNS(NS, "title");
    tip.textContent = `${b.label}\n${b.detail}`;
    group.append(rect, tip);
    [[b.label, -8], [b.detail, 14]].forEach(([text, dy]) => {
      const line = document.createElementNS(NS, "text");
      line.setAttribute("x", cx);
      line.setAttribute("y", cy + dy);
      line.textContent = text.length > 26 ? text.slice(0, 25) + "…" : text;
      group.append(line);
    });
    svg.append(group);
  }
  return svg;
}

// ---- start -------------------------------------------------------------------------------------

async function start() {
  $("lang").addEventListener("click", () => { state.lang = state.lang === "zh" ? "en" : "zh"; applyLanguage(); });
  $("dataset").addEventListener("change", datasetChanged);
  for (const id of ["upload", "upload-folder"]) {
    $(id).addEventListener("change", (event) => {
      // hidden files of a folder (.DS_Store) are no one's data, as for --data
      const files = [...event.target.files].filter((f) => !f.name.startsWith("."));
      event.target.value = "";  // the same file, corrected, can be chosen again
      if (files.length) readUpload(files);
    });
  }
  $("run").addEventListener("click", evaluate);
  for (const id of ["filter-kind", "filter-policy"]) $(id).addEventListener("change", showDecisions);
  $("filter-entity").addEventListener("input", showDecisions);
  fillKinds();
  try {
    const [{datasets}, policies] = await Promise.all([api("/v1/datasets"), api("/v1/policies")]);
    state.datasets = datasets;
    $("dataset").replaceChildren(...datasets.map((d) => el("option", {value: d.name}, d.name)));
    $("policy-set").textContent = `${t("policySet")} ${policies.policy_set.slice(0, 19)}… · ` +
      policies.policies.map((p) => p.id).join(", ");
    datasetChanged();
    document.body.dataset.ready = "true";
  } catch (err) {
    say(`${t("error")}: ${err.message}`, true);
  }
}

start();
