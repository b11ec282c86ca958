// Validates a Teams app's manifest and its localization files against the JSON schemas that
// Microsoft's @microsoft/app-manifest package bundles, offline: the schema is the one the file's
// $schema names. argv: the files. stdout: {"file": [errors...], ...}
//
// The package's own validator compiles patterns as Unicode regular expressions, and one pattern
// of the bundled localization schema (activities.activityTypes[…]) is not a valid one; the
// localization file is checked against the same bundled schema with the same validator family
// (ajv, draft-04) reading patterns as the schema's authors wrote them.
const { readFileSync } = require("node:fs");
const { AppManifestUtils } = require("@microsoft/app-manifest");
const AjvDraft04 = require("ajv-draft-04");
const addFormats = require("ajv-formats");

async function validate(json) {
  if (!String(json.$schema || "").includes("Localization")) {
    return AppManifestUtils.validateAgainstSchema(json);
  }
  const schema = await AppManifestUtils.fetchSchema(json.$schema);
  const ajv = new AjvDraft04({ allErrors: true, strictTypes: false, unicodeRegExp: false });
  addFormats(ajv, ["uri", "email", "regex"]);
  const check = ajv.compile(schema);
  return check(json) ? [] : check.errors.map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
}

(async () => {
  const results = {};
  for (const file of process.argv.slice(2)) {
    results[file] = await validate(JSON.parse(readFileSync(file, "utf8")));
  }
  process.stdout.write(JSON.stringify(results));
})().catch((error) => {
  process.stderr.write(String((error && error.stack) || error));
  process.exit(1);
});
