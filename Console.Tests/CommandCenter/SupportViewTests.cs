using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Platform;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.CommandCenter;

/// <summary>A super admin's read-only look into a workspace: opened with a reason, audited, bannered, and over after its time.</summary>
public class SupportViewTests(TokenUsageApp app) : IClassFixture<TokenUsageApp>
{
    [Fact]
    public async Task SupportView_opens_with_a_reason_is_audited_read_only_and_ends_after_its_time()
    {
        var admin = await app.SuperAdminAsync();
        var tenant = await app.TenantAsync(TestData.Unique("Veterinaria Patitas"));
        var conversation = await app.ConversationAsync(tenant.Id, "Lucía Fernández", "¿Vacunan gatos los sábados?");
        var http = await app.SignedInAsync(admin.Email, admin.Password);
        var page = $"/admin/tenants/{tenant.Id}/support";

        // Not open yet: the page asks for a reason and shows nothing of the workspace.
        var closed = await HtmlAsync(http, page);
        Assert.Contains("data-testid=\"support-reason\"", closed);
        Assert.DoesNotContain("Lucía Fernández", closed);

        var support = app.Services.GetRequiredService<SupportView>();
        var endsAt = await support.OpenAsync(tenant.Id, admin.Id, admin.Email, "ticket 4411: bot silent");
        Assert.Equal(app.Clock.GetUtcNow().AddMinutes(30), endsAt);
        var open = await HtmlAsync(http, page);
        Assert.Contains("solo lectura", open);
        Assert.Contains($"termina a las {endsAt!.Value.UtcDateTime:HH:mm}", open);
        Assert.Contains("Lucía Fernández", open);
        // Read only by construction: nothing on the page writes (no text box, no form besides signing out).
        var main = open[open.IndexOf("data-testid=\"support-banner\"", StringComparison.Ordinal)..];
        Assert.DoesNotContain("<textarea", main);
        Assert.DoesNotContain("<input", main);
        Assert.DoesNotContain("<form", main);

        var messages = await support.ConversationAsync(tenant.Id, conversation.Id, admin.Id, admin.Email);
        Assert.Equal("¿Vacunan gatos los sábados?", Assert.Single(messages!).Body);
        await using (var work = app.Scopes.ForSystem("test"))
        {
            var audit = await work.Db.AuditEntries.AsNoTracking().Where(a => a.TenantId == tenant.Id && a.ActorUserId == admin.Id).ToListAsync();
            Assert.Equal("ticket 4411: bot silent", Assert.Single(audit, a => a.Action == SupportView.OpenAction).Details);
            Assert.Equal(conversation.Id.ToString(), Assert.Single(audit, a => a.Action == SupportView.ConversationAction).EntityId);
        }

        // The super admin's session still cannot write into the workspace: the API wants a key, not a signed-in person.
        var post = await http.PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/conversations/{conversation.Id}/messages", new { text = "hola" });
        Assert.False(post.IsSuccessStatusCode, $"a write route answered {post.StatusCode}");
        await using (var work = app.Scopes.ForTenant(tenant.Id))
            Assert.Equal(0, await work.Db.Messages.CountAsync(m => m.Direction == MessageDirection.Outbound));

        // After its time it refuses until opened again with a reason.
        app.Clock.Advance(TimeSpan.FromMinutes(31));
        Assert.Null(await support.SnapshotAsync(tenant.Id, admin.Id, admin.Email));
        Assert.Null(await support.ConversationAsync(tenant.Id, conversation.Id, admin.Id, admin.Email));
        var http2 = await app.SignedInAsync(admin.Email, admin.Password);
        var expired = await HtmlAsync(http2, page);
        Assert.Contains("data-testid=\"support-reason\"", expired);
        Assert.DoesNotContain("Lucía Fernández", expired);
    }

    [Fact]
    public async Task SupportView_is_never_reachable_by_the_tenants_own_owner()
    {
        var tenant = await app.TenantAsync();
        var owner = await app.SignedInAsync($"{tenant.Slug}@owner.test", "Str0ng!Pass");
        Assert.Equal(HttpStatusCode.Forbidden, (await owner.GetAsync($"/admin/tenants/{tenant.Id}/support")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await owner.GetAsync($"/admin/tenants/{tenant.Id}")).StatusCode);
    }

    private static async Task<string> HtmlAsync(HttpClient client, string path)
    {
        var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
    }
}
