// Fills each template with its data using the official Adaptive Cards templating, then parses
// and validates the result with the official adaptivecards package, as a Teams client would.
// stdin: [{"template": {...}, "data": {...}}, ...]   stdout: [{"card": {...}, "errors": [...]}, ...]
const { readFileSync } = require("node:fs");
const ACData = require("adaptivecards-templating");
// The package's ES module build has extensionless imports that Node cannot resolve; its
// bundled build is the same code.
const AC = require("adaptivecards/dist/adaptivecards.js");

const cases = JSON.parse(readFileSync(0, "utf8"));
const results = cases.map(({ template, data }) => {
  const card = new ACData.Template(template).expand({ $root: data });
  const parsed = new AC.AdaptiveCard();
  const context = new AC.SerializationContext();
  parsed.parse(card, context);
  const errors = [];
  for (let i = 0; i < context.eventCount; i++) errors.push(context.getEventAt(i).message);
  for (const event of parsed.validateProperties().validationEvents) errors.push(event.message);
  return { card, errors };
});
process.stdout.write(JSON.stringify(results));
