import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { manifestFiles, parseManifestText, readManifests } from "../../src/cli/read-manifests.js";
import { tempDir } from "../helpers/temp-dir.js";

describe("reading manifests", () => {
  it("takes YAML documents, lists of resources, and JSON (which is YAML); skips empty documents", () => {
    const text = "type: pod\nmetadata: {name: a}\n---\n- {type: pod, metadata: {name: b}}\n- {type: pod, metadata: {name: c}}\n---\n";
    expect(parseManifestText(text, "f.yaml")).to.deep.equal({
      resources: [
        { type: "pod", metadata: { name: "a" } },
        { type: "pod", metadata: { name: "b" } },
        { type: "pod", metadata: { name: "c" } },
      ],
      problems: [],
    });
    expect(parseManifestText('[{"type": "pod"}]', "f.json").resources).to.deep.equal([{ type: "pod" }]);
  });

  it("gives each syntax error its file, line and column", () => {
    expect(parseManifestText("type: pod\nmetadata: {name: a\n", "f.yaml").problems[0]).to.match(/^f\.yaml:3:1: /);
    expect(parseManifestText("a: 1\na: 2\n", "dup.yaml").problems).to.deep.equal(["dup.yaml:2:1: Map keys must be unique"]);
  });

  it("words JSON's syntax errors for JSON, with line and column", () => {
    expect(parseManifestText('{\n  "type": "pod",\n}\n', "web.json").problems).to.deep.equal([
      "web.json:3:1: JSON syntax error: Expected double-quoted property name",
    ]);
    expect(parseManifestText('[{"type": "pod"}', "standard input").problems).to.deep.equal([
      "standard input:1:17: JSON syntax error: Expected ',' or ']' after array element",
    ]);
  });

  it("says what to write for a manifest made for Kubernetes", () => {
    const dir = tempDir("manifests");
    try {
      writeFileSync(join(dir.path, "k8s.yaml"), "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec: {containers: [{name: web, image: nginx}]}\n");
      writeFileSync(
        join(dir.path, "env.yaml"),
        "type: pod\nmetadata: {name: web}\nspec: {containers: [{name: web, image: nginx, env: [{name: MODE, value: prod}]}]}\n",
      );
      expect(() => readManifests([join(dir.path, "k8s.yaml")], false)).to.throw(
        /k8s\.yaml: kind: a Kubernetes manifest \(kind: Pod\): Cube's resources say "type: pod" with no apiVersion, and a container's env is a map/,
      );
      expect(() => readManifests([join(dir.path, "env.yaml")], false)).to.throw(
        /env\.yaml: spec\.containers\[0\]\.env: must be a map of NAME: value \(Kubernetes' list of \{name, value\} is written \{NAME: value\} here\)/,
      );
    } finally {
      dir.remove();
    }
  });

  it("reads a directory's manifests in name order, its subdirectories only with -R", () => {
    const dir = tempDir("manifests");
    try {
      mkdirSync(join(dir.path, "sub"));
      for (const file of ["b.yaml", "a.json", "c.yml", "notes.md", join("sub", "d.yaml")]) writeFileSync(join(dir.path, file), "");
      const names = (recursive: boolean) => manifestFiles(dir.path, recursive).map((file) => file.slice(dir.path.length + 1));
      expect(names(false)).to.deep.equal(["a.json", "b.yaml", "c.yml"]);
      expect(names(true)).to.deep.equal(["a.json", "b.yaml", "c.yml", join("sub", "d.yaml")]);
    } finally {
      dir.remove();
    }
  });

  it("locates a resource's problems by file and resource, and finds a name given twice across files", () => {
    const dir = tempDir("manifests");
    try {
      const pod = (name: string, image = "x") => `{type: pod, metadata: {name: ${name}}, spec: {containers: [{name: m, image: ${image}}]}}`;
      writeFileSync(join(dir.path, "one.yaml"), `${pod("a")}\n---\n${pod("b", "")}\n`);
      writeFileSync(join(dir.path, "two.yaml"), pod("a"));
      expect(() => readManifests([dir.path], false)).to.throw(
        `invalid manifest:\n  ${join(dir.path, "one.yaml")}: resource 2: spec.containers[0].image: must be`,
      );
      writeFileSync(join(dir.path, "one.yaml"), pod("a"));
      expect(() => readManifests([dir.path], false)).to.throw(`${join(dir.path, "two.yaml")}: metadata.name: pod/a appears twice in the manifest`);
      expect(() => readManifests([join(dir.path, "absent.yaml")], false)).to.throw(/^cannot read .*absent\.yaml: ENOENT$/);
    } finally {
      dir.remove();
    }
  });

  it("reads a Compose file as its folder's application (or -p's); --strict refuses what would only be said", () => {
    const dir = tempDir("manifests");
    try {
      const folder = join(dir.path, "my_shop");
      mkdirSync(folder);
      writeFileSync(join(folder, "compose.yaml"), "services:\n  web:\n    image: nginx\n    privileged: true\n");
      const read = readManifests([folder], false);
      expect(read.applications).to.deep.equal(["my-shop"]);
      expect(read.warnings).to.deep.equal([`not read by Cube (it runs the rest without them):\n  ${join(folder, "compose.yaml")}:4: privileged`]);
      expect(readManifests([folder], false, { project: "shop" }).applications).to.deep.equal(["shop"]);
      // A Compose project's folder is its Compose file: the YAML next to it is its own (a config), not a manifest.
      writeFileSync(join(folder, "prometheus.yml"), "scrape_configs: []\n");
      expect(manifestFiles(folder, false)).to.deep.equal([join(folder, "compose.yaml")]);
      writeFileSync(join(folder, "compose.override.yaml"), "services: {}\n");
      expect(() => manifestFiles(folder, false)).to.throw(
        `${join(folder, "compose.override.yaml")}: override files are not read: merge it into compose.yaml, or apply -f ${join(folder, "compose.yaml")} alone`,
      );
      writeFileSync(join(folder, "named.yaml"), "name: Boutique\nservices:\n  web:\n    image: nginx\n");
      expect(readManifests([join(folder, "named.yaml")], false).applications).to.deep.equal(["boutique"]);
      expect(() => readManifests([join(folder, "compose.yaml")], false, { strict: true })).to.throw(
        `invalid manifest:\n  --strict: not read by Cube (it runs the rest without them):\n  ${join(folder, "compose.yaml")}:4: privileged`,
      );
    } finally {
      dir.remove();
    }
  });
});
