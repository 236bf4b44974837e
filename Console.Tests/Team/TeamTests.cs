using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Identity;
using OperatorConsole.Infrastructure.Security;
using OperatorConsole.Infrastructure.Team;
using OperatorConsole.Infrastructure.Tenants;
using OperatorConsole.Tests.Live;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Team;

/// <summary>
/// The team (issue 18): invitations mailed as single-use links (new and existing accounts, expired, reused, revoked,
/// resent), member changes with the last owner kept (also when two owners race), removal requeuing conversations, who
/// may manage the team, and the audit log with before → after and its CSV export. Real HTTP, real PostgreSQL.
/// </summary>
public partial class TeamTests(SocketAppFactory app) : IClassFixture<SocketAppFactory>
{
    private const string Password = LiveTestData.Password;

    private async Task<HttpClient> AdminApiAsync(Guid tenantId, params string[] scopes)
    {
        var key = await app.Services.GetRequiredService<ApiKeyService>().IssueAsync(tenantId, "team",
            scopes.Length == 0 ? ["read", "write", "admin"] : scopes, null, new ApiKeyActor("test"));
        var http = new HttpClient { BaseAddress = app.ServerAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key.Key);
        return http;
    }

    private HttpClient Browser(CookieContainer? cookies = null) =>
        new(new HttpClientHandler { CookieContainer = cookies ?? new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = app.ServerAddress };

    private async Task<Guid> InviteAsync(HttpClient api, Guid tenantId, string email, string role = "Agent")
    {
        var response = await api.PostAsJsonAsync($"/api/v1/tenants/{tenantId}/invitations", new { email, role });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    /// <summary>The path and query of the newest invitation link mailed to this address (read from the outbox, as a super admin would).</summary>
    private async Task<string> MailedLinkAsync(string email)
    {
        await using var work = app.Scopes.ForSystem("test: read outbox");
        var body = (await work.Db.OutboundEmails.AsNoTracking().Where(e => e.To == email).OrderByDescending(e => e.CreatedAt).FirstAsync()).HtmlBody;
        var link = WebUtility.HtmlDecode(InvitationLink().Match(body).Groups[1].Value);
        Assert.StartsWith("http", link);
        return new Uri(link).PathAndQuery;
    }

    [GeneratedRegex("href=\"([^\"]*Account/Invitation[^\"]*)\"")]
    private static partial Regex InvitationLink();

    private static Task<HttpResponseMessage> AcceptAsNewAsync(HttpClient browser, string link, string name) =>
        new FormClient(browser).PostFormAsync(link, "accept-invitation", new Dictionary<string, string>
        {
            ["Input.Token"] = Token(link), ["Input.Name"] = name, ["Input.Password"] = Password, ["Input.Confirm"] = Password,
        });

    private static string Token(string link) => Uri.UnescapeDataString(link[(link.IndexOf("token=", StringComparison.Ordinal) + 6)..]);

    private async Task<ApplicationUser?> UserAsync(string email)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>().FindByEmailAsync(email);
    }

    private async Task<TenantMember?> MembershipAsync(Guid tenantId, Guid userId)
    {
        await using var work = app.Scopes.ForTenant(tenantId);
        return await work.Db.TenantMembers.AsNoTracking().SingleOrDefaultAsync(m => m.UserId == userId);
    }

    [Fact]
    public async Task A_new_person_accepts_the_mailed_link_into_a_verified_account_and_lands_in_the_inbox()
    {
        var tenant = await app.TenantAsync();
        using var api = await AdminApiAsync(tenant.Id);
        var email = $"{TestData.Unique("nueva")}@invitee.test";
        await InviteAsync(api, tenant.Id, email);
        var link = await MailedLinkAsync(email);
        Assert.StartsWith("/Account/Invitation?token=", link);

        using var browser = Browser();
        var page = await browser.GetStringAsync(link);
        Assert.Contains($"Únete a {tenant.Slug}", page);
        Assert.Contains("Crear cuenta y unirme", page);

        var accepted = await AcceptAsNewAsync(browser, link, "Rita Nueva");
        Assert.Equal(HttpStatusCode.Redirect, accepted.StatusCode);
        Assert.EndsWith("inbox", accepted.Headers.Location!.ToString());
        var user = await UserAsync(email);
        Assert.NotNull(user);
        Assert.True(user.EmailConfirmed, "the link proves the address");
        Assert.Equal("Rita Nueva", user.DisplayName);
        Assert.Equal(TenantRole.Agent, (await MembershipAsync(tenant.Id, user.Id))!.Role);
        // Signed in by the accept itself: the inbox opens.
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/inbox")).StatusCode);
    }

    [Fact]
    public async Task A_link_sent_before_a_downgrade_cannot_take_a_seat_the_smaller_plan_lacks_and_works_once_one_is_free()
    {
        var tenant = await app.TenantAsync(plan: Plan.Growth);
        using var api = await AdminApiAsync(tenant.Id);
        var email = $"{TestData.Unique("tarde")}@invitee.test";
        await InviteAsync(api, tenant.Id, email);
        var link = await MailedLinkAsync(email);
        // Then the workspace moves to Starter (2 seats) and a second member fills the last seat.
        await using (var work = app.Scopes.ForTenant(tenant.Id))
        {
            (await work.Db.Tenants.SingleAsync(t => t.Id == tenant.Id)).ChangePlan(Plan.Starter);
            await work.Db.SaveChangesAsync();
        }
        var second = await app.MemberAsync(tenant.Id);

        using var browser = Browser();
        var refused = await AcceptAsNewAsync(browser, link, "Tomás Tarde");
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("no tiene un puesto libre en su plan", WebUtility.HtmlDecode(await refused.Content.ReadAsStringAsync()));
        var user = (await UserAsync(email))!;
        Assert.Null(await MembershipAsync(tenant.Id, user.Id));

        // A seat freed: the same link now works (the account made on the first try signs in).
        await using (var work = app.Scopes.ForTenant(tenant.Id))
        {
            work.Db.TenantMembers.Remove(await work.Db.TenantMembers.SingleAsync(m => m.Id == second.Id));
            await work.Db.SaveChangesAsync();
        }
        var accepted = await new FormClient(browser).PostFormAsync(link, "accept-invitation",
            new Dictionary<string, string> { ["Input.Token"] = Token(link), ["Input.Password"] = Password });
        Assert.Equal(HttpStatusCode.Redirect, accepted.StatusCode);
        Assert.Equal(TenantRole.Agent, (await MembershipAsync(tenant.Id, user.Id))!.Role);
    }

    [Fact]
    public async Task An_existing_account_signs_in_from_the_link_and_gets_the_second_workspace()
    {
        var first = await app.TenantAsync(password: Password);
        var second = await app.TenantAsync();
        var email = $"{first.Slug}@owner.test";
        using var api = await AdminApiAsync(second.Id);
        await InviteAsync(api, second.Id, email, "Admin");
        var link = await MailedLinkAsync(email);

        using var browser = Browser();
        var page = await browser.GetStringAsync(link);
        Assert.Contains("Entrar y unirme", page);
        Assert.DoesNotContain("Tu nombre", page);
        var wrong = await new FormClient(browser).PostFormAsync(link, "accept-invitation",
            new Dictionary<string, string> { ["Input.Token"] = Token(link), ["Input.Password"] = "not-it-1!" });
        Assert.Contains("Correo o contraseña incorrectos", await wrong.Content.ReadAsStringAsync());

        var accepted = await new FormClient(browser).PostFormAsync(link, "accept-invitation",
            new Dictionary<string, string> { ["Input.Token"] = Token(link), ["Input.Password"] = Password });
        Assert.Equal(HttpStatusCode.Redirect, accepted.StatusCode);
        var user = (await UserAsync(email))!;
        Assert.Equal(TenantRole.Owner, (await MembershipAsync(first.Id, user.Id))!.Role);
        Assert.Equal(TenantRole.Admin, (await MembershipAsync(second.Id, user.Id))!.Role);
        // Two workspaces: they land in the one they just joined and switch in the top bar.
        Assert.Equal(second.Id, user.LastTenantId);
        var inbox = await browser.GetStringAsync("/inbox");
        Assert.Contains(second.Slug, inbox);
    }

    [Fact]
    public async Task Expired_reused_revoked_and_replaced_links_each_show_their_own_page()
    {
        var tenant = await app.TenantAsync();
        using var api = await AdminApiAsync(tenant.Id);
        using var browser = Browser();

        var expiredEmail = $"{TestData.Unique("vencida")}@invitee.test";
        var expiredId = await InviteAsync(api, tenant.Id, expiredEmail);
        await using (var work = app.Scopes.ForTenant(tenant.Id))
            await work.Db.Invitations.Where(i => i.Id == expiredId).ExecuteUpdateAsync(s => s.SetProperty(i => i.ExpiresAt, DateTimeOffset.UtcNow.AddMinutes(-1)));
        var expired = await browser.GetAsync(await MailedLinkAsync(expiredEmail));
        Assert.Equal(HttpStatusCode.Gone, expired.StatusCode);
        Assert.Contains("Esta invitación venció", await expired.Content.ReadAsStringAsync());

        var usedEmail = $"{TestData.Unique("usada")}@invitee.test";
        await InviteAsync(api, tenant.Id, usedEmail);
        var usedLink = await MailedLinkAsync(usedEmail);
        Assert.Equal(HttpStatusCode.Redirect, (await AcceptAsNewAsync(Browser(), usedLink, "Primera")).StatusCode);
        var reused = await browser.GetAsync(usedLink);
        Assert.Equal(HttpStatusCode.Gone, reused.StatusCode);
        Assert.Contains("Esta invitación ya se usó", await reused.Content.ReadAsStringAsync());

        var revokedEmail = $"{TestData.Unique("revocada")}@invitee.test";
        var revokedId = await InviteAsync(api, tenant.Id, revokedEmail);
        var revokedLink = await MailedLinkAsync(revokedEmail);
        Assert.Equal(HttpStatusCode.NoContent, (await api.DeleteAsync($"/api/v1/tenants/{tenant.Id}/invitations/{revokedId}")).StatusCode);
        var revoked = await browser.GetAsync(revokedLink);
        Assert.Contains("Esta invitación se canceló", await revoked.Content.ReadAsStringAsync());
        // A revoked link cannot be accepted by posting the form anyway.
        Assert.Null(await UserAsync(revokedEmail));

        // Resend: a new link works, the old one is dead.
        var resentEmail = $"{TestData.Unique("reenviada")}@invitee.test";
        var resentId = await InviteAsync(api, tenant.Id, resentEmail);
        var oldLink = await MailedLinkAsync(resentEmail);
        await app.Services.GetRequiredService<TeamService>().ResendAsync(new TeamActor(tenant.Id, null, "test", TenantRole.Owner), resentId);
        var newLink = await MailedLinkAsync(resentEmail);
        Assert.NotEqual(oldLink, newLink);
        Assert.Contains("Este enlace de invitación no es válido", await (await browser.GetAsync(oldLink)).Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Redirect, (await AcceptAsNewAsync(Browser(), newLink, "Reenviada")).StatusCode);
    }

    [Fact]
    public async Task The_last_owner_can_be_neither_demoted_nor_removed()
    {
        var tenant = await app.TenantAsync();
        using var api = await AdminApiAsync(tenant.Id);
        var owner = (await UserAsync($"{tenant.Slug}@owner.test"))!;

        var demote = await api.PatchAsJsonAsync($"/api/v1/tenants/{tenant.Id}/members/{owner.Id}", new { role = "Admin" });
        // An admin-scoped key acts as an Admin: it may not unmake an owner at all.
        Assert.Equal(HttpStatusCode.UnprocessableEntity, demote.StatusCode);
        Assert.Equal("member.owner_only", (await demote.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());

        // The platform key acts as an owner: it reaches the last-owner rule itself.
        using var platform = new HttpClient { BaseAddress = app.ServerAddress };
        platform.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ConsoleAppFactory.PlatformKey);
        var refused = await platform.PatchAsJsonAsync($"/api/v1/tenants/{tenant.Id}/members/{owner.Id}", new { role = "Agent" });
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal("member.last_owner", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        var removal = await platform.DeleteAsync($"/api/v1/tenants/{tenant.Id}/members/{owner.Id}");
        Assert.Equal(HttpStatusCode.Conflict, removal.StatusCode);
        Assert.Equal(TenantRole.Owner, (await MembershipAsync(tenant.Id, owner.Id))!.Role);
    }

    [Fact]
    public async Task Two_owners_demoting_each_other_at_once_leave_exactly_one_owner()
    {
        var team = app.Services.GetRequiredService<TeamService>();
        for (var round = 0; round < 5; round++)
        {
            var tenant = await app.TenantAsync();
            var first = (await UserAsync($"{tenant.Slug}@owner.test"))!;
            var second = await app.MemberAsync(tenant.Id, TenantRole.Owner);
            var firstActor = new TeamActor(tenant.Id, first.Id, "first", TenantRole.Owner);
            var secondActor = new TeamActor(tenant.Id, second.UserId, "second", TenantRole.Owner);

            var results = await Task.WhenAll(
                Attempt(() => team.UpdateMemberAsync(firstActor, second.UserId, new MemberChange(TenantRole.Agent, null, null))),
                Attempt(() => team.UpdateMemberAsync(secondActor, first.Id, new MemberChange(TenantRole.Agent, null, null))));
            Assert.Equal(1, results.Count(r => r is null));
            Assert.Equal("member.last_owner", Assert.IsType<ConflictException>(results.Single(r => r is not null)).Code);
            await using var work = app.Scopes.ForTenant(tenant.Id);
            Assert.Equal(1, await work.Db.TenantMembers.CountAsync(m => m.Role == TenantRole.Owner));
        }

        static async Task<Exception?> Attempt(Func<Task> change)
        {
            try { await change(); return null; }
            catch (ConflictException ex) { return ex; }
        }
    }

    [Fact]
    public async Task Removing_a_member_returns_their_open_conversations_to_the_queue_and_assigns_them_to_an_available_member()
    {
        var tenant = await app.TenantAsync();
        var leaving = await app.MemberAsync(tenant.Id);
        var staying = await app.MemberAsync(tenant.Id);
        await app.UpdateMemberAsync(staying, m => m.Connected(DateTimeOffset.UtcNow));
        var open = await app.ConversationAsync(tenant.Id, "Cliente Abierta");
        var resolved = await app.ConversationAsync(tenant.Id, "Cliente Cerrada");
        await using (var work = app.Scopes.ForTenant(tenant.Id))
        {
            var rows = await work.Db.Conversations.Where(c => c.Id == open.Id || c.Id == resolved.Id).ToListAsync();
            foreach (var c in rows) c.AssignTo(leaving.Id);
            rows.Single(c => c.Id == resolved.Id).Resolve(DateTimeOffset.UtcNow);
            await work.Db.SaveChangesAsync();
        }

        using var api = await AdminApiAsync(tenant.Id);
        Assert.Equal(HttpStatusCode.NoContent, (await api.DeleteAsync($"/api/v1/tenants/{tenant.Id}/members/{leaving.UserId}")).StatusCode);

        Assert.Null(await MembershipAsync(tenant.Id, leaving.UserId));
        await using (var work = app.Scopes.ForTenant(tenant.Id))
        {
            var reassigned = await work.Db.Conversations.AsNoTracking().SingleAsync(c => c.Id == open.Id);
            Assert.Equal((staying.Id, ConversationOwner.Human), (reassigned.AssignedMemberId!.Value, reassigned.Owner));
            // A resolved conversation is history: it is not requeued (its assignee becomes nobody with the member row).
            var closed = await work.Db.Conversations.AsNoTracking().SingleAsync(c => c.Id == resolved.Id);
            Assert.Equal(ConversationStatus.Resolved, closed.Status);
            Assert.Contains(await work.Db.AuditEntries.AsNoTracking().Where(e => e.Action == "member.removed").Select(e => e.EntityId).ToListAsync(),
                id => id == leaving.UserId.ToString());
        }
        var members = await api.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{tenant.Id}/members");
        Assert.DoesNotContain(members.GetProperty("items").EnumerateArray(), m => m.GetProperty("userId").GetGuid() == leaving.UserId);
    }

    [Fact]
    public async Task A_removed_member_loses_the_workspace_at_once_with_the_session_they_hold()
    {
        var tenant = await app.TenantAsync();
        var member = await app.MemberAsync(tenant.Id);
        var email = (await app.Services.CreateAsyncScope().ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>()
            .FindByIdAsync(member.UserId.ToString()))!.Email!;
        var cookies = await app.SignInAsync(email);
        using var browser = Browser(cookies);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/inbox")).StatusCode);

        using var api = await AdminApiAsync(tenant.Id);
        Assert.Equal(HttpStatusCode.NoContent, (await api.DeleteAsync($"/api/v1/tenants/{tenant.Id}/members/{member.UserId}")).StatusCode);

        // The same cookie, moments later: no inbox, no live connection.
        Assert.Equal(HttpStatusCode.Forbidden, (await browser.GetAsync("/inbox")).StatusCode);
        var hub = app.HubConnection(cookies);
        await Assert.ThrowsAnyAsync<Exception>(() => hub.StartAsync());
        await hub.DisposeAsync();
    }

    [Fact]
    public async Task An_agent_cannot_open_the_team_page_and_keys_without_admin_cannot_call_the_team_endpoints()
    {
        var tenant = await app.TenantAsync();
        var agent = await app.MemberAsync(tenant.Id);
        var agentEmail = (await app.Services.CreateAsyncScope().ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>()
            .FindByIdAsync(agent.UserId.ToString()))!.Email!;
        using var agentBrowser = Browser(await app.SignInAsync(agentEmail));
        Assert.Equal(HttpStatusCode.Forbidden, (await agentBrowser.GetAsync("/team")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await agentBrowser.GetAsync("/team/audit.csv")).StatusCode);

        using var worker = await AdminApiAsync(tenant.Id, "read", "write");
        Assert.Equal(HttpStatusCode.Forbidden, (await worker.GetAsync($"/api/v1/tenants/{tenant.Id}/members")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await worker.GetAsync($"/api/v1/tenants/{tenant.Id}/audit")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden,
            (await worker.PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/invitations", new { email = "x@invitee.test", role = "Owner" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden,
            (await worker.PatchAsJsonAsync($"/api/v1/tenants/{tenant.Id}/members/{agent.UserId}", new { role = "Owner" })).StatusCode);
        Assert.Equal(TenantRole.Agent, (await MembershipAsync(tenant.Id, agent.UserId))!.Role);

        // An admin-scoped key is an Admin, never an Owner: it cannot mint an owner.
        using var admin = await AdminApiAsync(tenant.Id);
        var owner = await admin.PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/invitations", new { email = "y@invitee.test", role = "Owner" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, owner.StatusCode);
    }

    [Fact]
    public async Task A_role_change_shows_in_the_audit_log_with_before_and_after_and_in_the_owners_CSV_export()
    {
        var tenant = await app.TenantAsync(password: Password);
        var agent = await app.MemberAsync(tenant.Id);
        var channel = await app.ChannelAsync(tenant.Id);
        using var api = await AdminApiAsync(tenant.Id);
        var changed = await api.PatchAsJsonAsync($"/api/v1/tenants/{tenant.Id}/members/{agent.UserId}",
            new { role = "Admin", channelIds = new[] { channel.Id }, capacity = 3 });
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        var member = await changed.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(("Admin", 3), (member.GetProperty("role").GetString(), member.GetProperty("capacity").GetInt32()));
        Assert.Equal([channel.Id], member.GetProperty("channelIds").EnumerateArray().Select(e => e.GetGuid()));

        var from = Uri.EscapeDataString(DateTimeOffset.UtcNow.AddHours(-1).ToString("o"));
        var audit = await api.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{tenant.Id}/audit?q=member.updated&from={from}");
        var entry = Assert.Single(audit.GetProperty("items").EnumerateArray());
        Assert.Equal("member.updated", entry.GetProperty("action").GetString());
        Assert.Contains("\"role\":\"Agent\"", entry.GetProperty("before").GetString());
        Assert.Contains("\"role\":\"Admin\"", entry.GetProperty("after").GetString());
        Assert.Contains("\"capacity\":3", entry.GetProperty("after").GetString());
        Assert.Empty((await api.GetFromJsonAsync<JsonElement>(
            $"/api/v1/tenants/{tenant.Id}/audit?q=member.updated&to={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddHours(-1).ToString("o"))}"))
            .GetProperty("items").EnumerateArray());

        using var owner = Browser(await app.SignInAsync($"{tenant.Slug}@owner.test", Password));
        var csv = await owner.GetAsync("/team/audit.csv?q=member.updated");
        Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType!.MediaType);
        var lines = (await csv.Content.ReadAsStringAsync()).TrimStart('\uFEFF').Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("at,actor,action,target,before,after", lines[0]);
        var row = Assert.Single(lines.Skip(1));
        Assert.Contains("member.updated", row);
        Assert.Contains("\"\"role\"\":\"\"Agent\"\"", row);
        Assert.Contains("\"\"role\"\":\"\"Admin\"\"", row);
    }
}
