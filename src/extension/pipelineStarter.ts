// "Open Pipeline Configuration" creates this commented starter when the file is missing.
// It is the built-in default pipeline, so creating it changes nothing until it is edited.

export const STARTER_PIPELINE = `// Fileflow pipeline file (JSON with comments). Lines enter at the "start" node; every line
// carries a tag, and a line with tag T goes to the node named T. Lines that reach the tag
// "end" are written to the result. Hover over any key for help; Ctrl+Space completes.
{
  "version": 1,
  // The first route that fits a file picks its pipeline ("match" is a glob on the file's
  // name, "firstLine" a regular expression on its first line; neither means "always").
  "routes": [
    { "pipeline": "logs" }
  ],
  "pipelines": {
    // Log triage: warnings and worse, with file name and line number. Everything else is
    // dropped. (This is also what Fileflow does when there is no pipeline file.)
    "logs": {
      "start": "start",
      "nodes": {
        "start":    { "use": "tagByLevel" },
        "debug":    { "use": "drop" },
        "info":     { "use": "drop" },
        "other":    { "use": "drop" },
        "warn":     { "use": "template", "with": { "format": "{file}:{n}: {line}" } },
        "error":    { "use": "template", "with": { "format": "{file}:{n}: {line}" } },
        "critical": { "use": "template", "with": { "format": "{file}:{n}: {line}" } }
      }
    }
  }
}
`;
