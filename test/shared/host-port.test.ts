import { expect } from "chai";
import { formatHostPort, localDialAddress, parseHostPort } from "../../src/shared/host-port.js";

describe("host:port", () => {
  it("parses names, IPv4 and bracketed IPv6", () => {
    expect(parseHostPort("localhost:4242", "x")).to.deep.equal({ host: "localhost", port: 4242 });
    expect(parseHostPort("10.0.0.1:1", "x")).to.deep.equal({ host: "10.0.0.1", port: 1 });
    expect(parseHostPort("[::1]:4242", "x")).to.deep.equal({ host: "::1", port: 4242 });
  });

  it("rejects what is not host:port, naming the setting", () => {
    for (const bad of ["localhost", ":4242", "host:99999", "host:port", "a b:1", "http://host:1"]) {
      expect(() => parseHostPort(bad, "--leader"), bad).to.throw(/--leader must be HOST:PORT/);
    }
  });

  it("formats IPv6 in brackets", () => {
    expect(formatHostPort({ host: "::1", port: 1 })).to.equal("[::1]:1");
  });

  it("dials a wildcard listen address on loopback", () => {
    expect(localDialAddress({ host: "0.0.0.0", port: 4242 })).to.deep.equal({ host: "127.0.0.1", port: 4242 });
    expect(localDialAddress({ host: "::", port: 4242 })).to.deep.equal({ host: "::1", port: 4242 });
    expect(localDialAddress({ host: "127.0.0.5", port: 1 })).to.deep.equal({ host: "127.0.0.5", port: 1 });
  });
});
