using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Integration;

/// <summary>API keys (issue 13, item 9): list, revoke, expiry, scopes and the audit trail, over real HTTP.</summary>
public class ApiKeyTests(ConsoleAppFactory app) : IClassFixture<ConsoleAppFactory>
{
    private HttpClient Client(string key)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    private HttpClient Platform => Client(ConsoleAppFactory.PlatformKey);

    private async Task<(Guid Id, string Key)> IssueAsync(HttpClient by, Guid tenantId, object body)
    {
        var response = await by.PostAsJsonAsync($"/api/v1/tenants/{tenantId}/api-keys", body);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (created.GetProperty("id").GetGuid(), created.GetProperty("key").GetString()!);
    }

    [Fact]
    public async Task The_list_shows_name_prefix_scopes_and_dates_but_never_the_key_or_its_hash()
    {
        var tenant = await app.TenantAsync();
        var (id, key) = await IssueAsync(Platform, tenant.Id, new { name = "n8n" });
        Assert.Equal(HttpStatusCode.OK, (await Client(key).GetAsync($"/api/v1/tenants/{tenant.Id}")).StatusCode);

        var response = await Platform.GetAsync($"/api/v1/tenants/{tenant.Id}/api-keys");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var raw = await response.Content.ReadAsStringAsync();
        var listed = Assert.Single(JsonDocument.Parse(raw).RootElement.EnumerateArray());
        Assert.Equal(id, listed.GetProperty("id").GetGuid());
        Assert.Equal("n8n", listed.GetProperty("name").GetString());
        Assert.Equal(key[..12], listed.GetProperty("prefix").GetString());
        Assert.Equal(["read", "write"], listed.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
        Assert.NotEqual(JsonValueKind.Null, listed.GetProperty("createdAt").ValueKind);
        Assert.NotEqual(JsonValueKind.Null, listed.GetProperty("lastUsedAt").ValueKind);
        Assert.Equal(JsonValueKind.Null, listed.GetProperty("expiresAt").ValueKind);
        Assert.DoesNotContain(key, raw);
        Assert.DoesNotContain(OperatorConsole.Infrastructure.Security.ApiKeyService.HashOf(key), raw);
        Assert.False(listed.TryGetProperty("hash", out _));
        Assert.False(listed.TryGetProperty("key", out _));
    }

    [Fact]
    public async Task A_revoked_key_gets_401_on_its_very_next_call()
    {
        var tenant = await app.TenantAsync();
        var (id, key) = await IssueAsync(Platform, tenant.Id, new { name = "soon revoked" });
        var client = Client(key);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/v1/tenants/{tenant.Id}")).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await Platform.DeleteAsync($"/api/v1/tenants/{tenant.Id}/api-keys/{id}")).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync($"/api/v1/tenants/{tenant.Id}")).StatusCode);
        var listed = await Platform.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{tenant.Id}/api-keys");
        Assert.Empty(listed.EnumerateArray());
        // Another tenant's key id is simply not found.
        var other = await app.TenantAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await Platform.DeleteAsync($"/api/v1/tenants/{other.Id}/api-keys/{id}")).StatusCode);
    }

    [Fact]
    public async Task An_expired_key_gets_401_and_an_expiry_in_the_past_is_refused()
    {
        var tenant = await app.TenantAsync();
        var (id, key) = await IssueAsync(Platform, tenant.Id, new { name = "temporary", expiresAt = DateTimeOffset.UtcNow.AddDays(1) });
        var client = Client(key);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/v1/tenants/{tenant.Id}")).StatusCode);

        // The day passes: move its expiry into the past rather than waiting.
        await using (var work = app.Scopes.ForTenant(tenant.Id))
        {
            Assert.Equal(1, await work.Db.Database.ExecuteSqlAsync(
                $"UPDATE api_keys SET expires_at = now() - interval '1 minute' WHERE id = {id}"));
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync($"/api/v1/tenants/{tenant.Id}")).StatusCode);

        var past = await Platform.PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/api-keys",
            new { name = "late", expiresAt = DateTimeOffset.UtcNow.AddMinutes(-5) });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, past.StatusCode);
    }

    [Fact]
    public async Task A_read_only_key_reads_but_gets_403_on_every_mutation()
    {
        var tenant = await app.TenantAsync();
        var conversation = await app.ConversationAsync(tenant.Id, "Cliente");
        var (_, key) = await IssueAsync(Platform, tenant.Id, new { name = "dashboard", scopes = new[] { "read" } });
        var client = Client(key);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/v1/tenants/{tenant.Id}/conversations")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/v1/tenants/{tenant.Id}/conversations/{conversation.Id}")).StatusCode);

        var resolve = await client.PostAsync($"/api/v1/tenants/{tenant.Id}/conversations/{conversation.Id}/resolve", null);
        Assert.Equal(HttpStatusCode.Forbidden, resolve.StatusCode);
        Assert.Equal("application/problem+json", resolve.Content.Headers.ContentType?.MediaType);
        var send = await client.PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/conversations/{conversation.Id}/messages", new { text = "hola" });
        Assert.Equal(HttpStatusCode.Forbidden, send.StatusCode);
        var knowledge = await client.PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/knowledge", new { title = "x", content = "y" });
        Assert.Equal(HttpStatusCode.Forbidden, knowledge.StatusCode);

        var unchanged = await Platform.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{tenant.Id}/conversations/{conversation.Id}");
        Assert.NotEqual("Resolved", unchanged.GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_write_key_cannot_mint_list_or_revoke_keys_nor_change_the_setup_but_an_admin_key_can()
    {
        var tenant = await app.TenantAsync();
        var (writeId, writeKey) = await IssueAsync(Platform, tenant.Id, new { name = "worker" });
        var writer = Client(writeKey);
        Assert.Equal(HttpStatusCode.Forbidden, (await writer.PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/api-keys",
            new { name = "escalate", scopes = new[] { "admin" } })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await writer.GetAsync($"/api/v1/tenants/{tenant.Id}/api-keys")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await writer.DeleteAsync($"/api/v1/tenants/{tenant.Id}/api-keys/{writeId}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await writer.PutAsJsonAsync($"/api/v1/tenants/{tenant.Id}/agent", new { tone = "x" })).StatusCode);

        var (_, adminKey) = await IssueAsync(Platform, tenant.Id, new { name = "ops", scopes = new[] { "admin" } });
        var admin = Client(adminKey);
        var (mintedId, minted) = await IssueAsync(admin, tenant.Id, new { name = "minted", scopes = new[] { "read" } });
        Assert.Equal(HttpStatusCode.OK, (await Client(minted).GetAsync($"/api/v1/tenants/{tenant.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/api/v1/tenants/{tenant.Id}/api-keys")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/v1/tenants/{tenant.Id}/api-keys/{mintedId}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Client(minted).GetAsync($"/api/v1/tenants/{tenant.Id}")).StatusCode);
        // An unknown scope is a clear 422, not a silently narrower key.
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await admin.PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/api-keys",
            new { name = "typo", scopes = new[] { "root" } })).StatusCode);
    }

    [Fact]
    public async Task A_key_without_admin_cannot_change_the_plan_buy_credits_or_open_the_billing_portal()
    {
        // Paying the platform is the owner's decision: a key handed to a CRM integration must not start a Checkout.
        var tenant = await app.TenantAsync();
        var (_, writeKey) = await IssueAsync(Platform, tenant.Id, new { name = "crm", scopes = new[] { "read", "write" } });
        var writer = Client(writeKey);
        foreach (var (route, body) in new (string, object)[]
                 {
                     ("billing/checkout", new { plan = "growth" }),
                     ("billing/credits/checkout", new { pack = "replies-500" }),
                     ("billing/portal", new { }),
                 })
        {
            var response = await writer.PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/{route}", body);
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{route}: {(int)response.StatusCode}");
        }
        // Reading the ledger is not a change: a read key may.
        Assert.Equal(HttpStatusCode.OK, (await writer.GetAsync($"/api/v1/tenants/{tenant.Id}/billing/credits")).StatusCode);
    }

    [Fact]
    public async Task Issuing_and_revoking_keys_and_platform_key_calls_into_a_tenant_are_audited()
    {
        var tenant = await app.TenantAsync();
        var (_, adminKey) = await IssueAsync(Platform, tenant.Id, new { name = "ops", scopes = new[] { "read", "admin" } });
        var (mintedId, _) = await IssueAsync(Client(adminKey), tenant.Id, new { name = "minted" });
        Assert.Equal(HttpStatusCode.NoContent, (await Client(adminKey).DeleteAsync($"/api/v1/tenants/{tenant.Id}/api-keys/{mintedId}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Platform.GetAsync($"/api/v1/tenants/{tenant.Slug}")).StatusCode);

        await using var work = app.Scopes.ForTenant(tenant.Id);
        var audit = await work.Db.AuditEntries.AsNoTracking().Where(a => a.TenantId == tenant.Id).OrderBy(a => a.CreatedAt).ToListAsync();
        Assert.Equal(2, audit.Count(a => a.Action == "api_key.issue"));
        var issuedByKey = Assert.Single(audit, a => a.Action == "api_key.issue" && a.EntityId == mintedId.ToString());
        Assert.Equal("api-key:ops", issuedByKey.Actor);
        Assert.Contains("read,write", issuedByKey.Details);
        var revoked = Assert.Single(audit, a => a.Action == "api_key.revoke");
        Assert.Equal((mintedId.ToString(), "api-key:ops"), (revoked.EntityId, revoked.Actor));
        Assert.Contains(audit, a => a.Action == "platform.api" && a.Actor == "platform-api" && a.Details == $"GET /api/v1/tenants/{tenant.Slug}");
    }
}
