import { expect } from "chai";
import { WebSessions } from "../../../src/leader/web/web-sessions.js";
import { FakeClock } from "../../helpers/fake-clock.js";

describe("WebSessions", () => {
  it("gives a session for the admin password only, valid for 12 hours, until logout", () => {
    const clock = new FakeClock();
    const sessions = new WebSessions("the-admin-password", clock);
    expect(sessions.login("wrong", "10.0.0.1")).to.deep.equal({ refused: "wrong password" });
    const outcome = sessions.login("the-admin-password", "10.0.0.1");
    if (!("token" in outcome)) return expect.fail("refused the right password");
    expect(outcome.token).to.match(/^[\w-]{43}$/);
    expect(sessions.valid(outcome.token)).to.equal(true);
    expect(sessions.valid("forged")).to.equal(false);
    expect(sessions.valid(undefined)).to.equal(false);
    clock.advance(12 * 3600_000 + 1);
    expect(sessions.valid(outcome.token)).to.equal(false);
    const again = sessions.login("the-admin-password", "10.0.0.1") as { token: string };
    sessions.logout(again.token);
    expect(sessions.valid(again.token)).to.equal(false);
  });

  it("refuses a peer that guessed too often, even with the right password, for a while", () => {
    const clock = new FakeClock();
    const sessions = new WebSessions("the-admin-password", clock);
    for (let i = 0; i < 10; i++) sessions.login(`guess-${i}`, "10.0.0.9");
    expect(sessions.login("the-admin-password", "10.0.0.9")).to.deep.equal({ refused: "too many wrong passwords: try again in 10 s" });
    expect(sessions.login("the-admin-password", "10.0.0.8")).to.have.property("token");
    clock.advance(10_001);
    expect(sessions.login("the-admin-password", "10.0.0.9")).to.have.property("token");
  });
});
