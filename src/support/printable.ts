/**
 * Text from the agent made safe for a terminal: control characters (escape sequences that could
 * set the clipboard, plant links or redraw lines) shown as visible symbols; tabs kept.
 */
const isControl = (code: number) => (code < 0x20 && code !== 0x09) || (code >= 0x7f && code <= 0x9f)

export const printable = (text: string): string =>
  Array.from(text, (c) => {
    const code = c.charCodeAt(0)
    if (!isControl(code)) return c
    return code < 0x20 ? String.fromCharCode(0x2400 + code) : "\ufffd"
  }).join("")
