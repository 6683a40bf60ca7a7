// Server-sent events read from a fetch() body, for the console's live stream (app.js says why
// not EventSource). A module of its own so the browser tests can feed it bytes directly.

const LINE_END = /\r\n|\r(?!$)|\n/;  // a CR at the end of a chunk may be half of a CRLF

// Server-sent events as the HTML standard parses them: lines of `field: value`, an event
// dispatched at each blank line, `id` remembered for resuming, `:` lines ignored. At each blank
// line `position(id)` gets the last event id so far (the one to resume after), then
// `dispatch({ type, data, id })` runs if the event has data; `retry(ms)` gets the `retry` field.
export async function readEvents(body, { position, dispatch, retry }, lastId) {
  const reader = body.getReader();
  const decoder = new TextDecoder();  // UTF-8, and drops a leading BOM as the standard wants
  let buffer = "";
  let idBuffer = lastId;
  let type = "";
  let data = [];
  const line = (text) => {
    if (text === "") {
      position(idBuffer);
      if (data.length) dispatch({ type: type || "message", data: data.join("\n"), id: idBuffer });
      type = "";
      data = [];
      return;
    }
    if (text.startsWith(":")) return;
    const colon = text.indexOf(":");
    const name = colon < 0 ? text : text.slice(0, colon);
    const value = colon < 0 ? "" : text.slice(colon + (text[colon + 1] === " " ? 2 : 1));
    if (name === "data") data.push(value);
    else if (name === "event") type = value;
    else if (name === "id" && !value.includes("\0")) idBuffer = value;
    else if (name === "retry" && /^\d+$/.test(value)) retry(Number(value));
  };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) {  // an event not ended by a blank line is dropped, as the standard says
      if (buffer.endsWith("\r")) line(buffer.slice(0, -1));
      return;
    }
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = LINE_END.exec(buffer)) !== null) {
      line(buffer.slice(0, end.index));
      buffer = buffer.slice(end.index + end[0].length);
    }
  }
}
