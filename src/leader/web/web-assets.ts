// The web view's stylesheet and its one script, served from memory: nothing is fetched from the internet, and there is
// nothing to build. The script follows the page's live stream (server-sent events) and swaps what the server renders.

export const STYLESHEET = `
:root { color-scheme: light dark; --ok: #1a7f37; --busy: #9a6700; --bad: #cf222e; --line: #8884; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, sans-serif; }
header { display: flex; gap: 1em; align-items: center; padding: .6em 1em; border-bottom: 1px solid var(--line); }
header form { margin-left: auto; }
.brand { font-weight: 700; text-decoration: none; color: inherit; font-size: 1.2em; }
.live { font-size: .8em; color: var(--busy); }
.live.on { color: var(--ok); }
main { padding: 0 1em 2em; max-width: 75em; margin: auto; }
h1 { font-size: 1.3em; word-break: break-all; }
h2 { font-size: 1.05em; margin-top: 1.6em; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35em .6em; border-bottom: 1px solid var(--line); white-space: nowrap; }
td.usage { min-width: 11em; }
.status { font-weight: 600; }
.status.ok { color: var(--ok); } .status.busy { color: var(--busy); } .status.bad { color: var(--bad); }
.bar { display: flex; flex-direction: column; }
.bar meter { width: 100%; height: .8em; }
.bar span { font-size: .8em; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .3em 1em; }
dt { font-weight: 600; } dd { margin: 0; word-break: break-word; }
.log { background: #0001; padding: .6em; max-height: 24em; overflow: auto; white-space: pre-wrap; word-break: break-all; font-size: .85em; }
.login { max-width: 22em; margin-top: 12vh; }
.login form { display: flex; flex-direction: column; gap: .6em; }
input, button { font: inherit; padding: .45em .7em; }
.problem { color: var(--bad); }
.hint { font-size: .85em; opacity: .75; }
@media (max-width: 40em) { th, td { padding: .3em .4em; } main { padding: 0 .5em 2em; } }
`;

export const SCRIPT = `
"use strict";
const live = document.body.dataset.live;
const state = document.getElementById("live-state");
function fragment(html) {
  const holder = document.createElement("template");
  holder.innerHTML = html;
  return holder.content.firstElementChild;
}
function age(since) {
  const s = Math.max(0, (Date.now() - Date.parse(since)) / 1000);
  return s < 60 ? Math.floor(s) + "s" : s < 3600 ? Math.floor(s / 60) + "m" : s < 86400 ? Math.floor(s / 3600) + "h" : Math.floor(s / 86400) + "d";
}
setInterval(() => document.querySelectorAll("time[data-since]").forEach((t) => (t.textContent = age(t.dataset.since))), 5000);
if (live) {
  const source = new EventSource(live);
  source.onopen = () => { state.textContent = "live"; state.classList.add("on"); };
  source.onerror = () => { state.textContent = "reconnecting…"; state.classList.remove("on"); };
  // A row of a table: replaced, added at its end, or (no html) removed.
  source.addEventListener("row", (message) => {
    const { table, id, html } = JSON.parse(message.data);
    const old = document.getElementById(id);
    if (!html) return old && old.remove();
    const row = fragment(html);
    if (old) old.replaceWith(row);
    else if (document.getElementById(table)) document.getElementById(table).append(row);
  });
  // A section rendered again whole.
  source.addEventListener("section", (message) => {
    const { id, html } = JSON.parse(message.data);
    const section = document.getElementById(id);
    if (section) section.innerHTML = html;
  });
  // Log lines: text, never markup.
  source.addEventListener("log", (message) => {
    const log = document.getElementById("log");
    const atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
    log.append(document.createTextNode(JSON.parse(message.data).text));
    if (atEnd) log.scrollTop = log.scrollHeight;
  });
}
`;
