using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Inbox;

/// <summary>The conversations and contacts REST API (contract in interfaces.md), over real HTTP with API keys.</summary>
public class ConversationsApiTests(ConsoleAppFactory app) : IClassFixture<ConsoleAppFactory>
{
    private HttpClient Client(string key)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    private HttpClient Platform => Client(ConsoleAppFactory.PlatformKey);

    private Task<HttpClient> TenantKeyAsync(Guid tenantId) => app.TenantApiAsync(tenantId, "inbox");

    [Fact]
    public async Task Conversations_page_by_cursor_and_filter_by_owner()
    {
        var tenant = await app.TenantAsync();
        var channel = await app.ChannelAsync(tenant.Id);
        var api = await TenantKeyAsync(tenant.Id);
        var ids = new List<Guid>();
        for (var i = 0; i < 5; i++) ids.Add((await app.ConversationAsync(tenant.Id, $"Cliente {i}", channel: channel)).Id);
        (await api.PostAsync($"/api/v1/tenants/{tenant.Id}/conversations/{ids[0]}/takeover", null)).EnsureSuccessStatusCode();

        var seen = new List<Guid>();
        string? cursor = null;
        do
        {
            var page = await api.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{tenant.Slug}/conversations?limit=2&cursor={cursor}");
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetGuid()));
            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);
        Assert.Equal(ids.Order(), seen.Order());

        var human = await api.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{tenant.Id}/conversations?owner=human");
        var only = Assert.Single(human.GetProperty("items").EnumerateArray());
        Assert.Equal((ids[0], "Human"), (only.GetProperty("id").GetGuid(), only.GetProperty("owner").GetString()));
        var bad = await api.GetAsync($"/api/v1/tenants/{tenant.Id}/conversations?owner=robot");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task Takeover_release_and_resolve_change_the_conversation()
    {
        var tenant = await app.TenantAsync();
        var api = await TenantKeyAsync(tenant.Id);
        var conversation = await app.ConversationAsync(tenant.Id, "Cliente", "hola");
        var base_ = $"/api/v1/tenants/{tenant.Id}/conversations/{conversation.Id}";

        var taken = await (await api.PostAsync($"{base_}/takeover", null)).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Human", taken.GetProperty("owner").GetString());
        var released = await (await api.PostAsync($"{base_}/release", null)).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Bot", released.GetProperty("owner").GetString());
        var resolved = await (await api.PostAsync($"{base_}/resolve", null)).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Resolved", resolved.GetProperty("status").GetString());

        var one = await api.GetFromJsonAsync<JsonElement>(base_);
        Assert.Equal(("Resolved", "Cliente"), (one.GetProperty("status").GetString(), one.GetProperty("contactName").GetString()));
        Assert.True(one.GetProperty("customerWindowOpen").GetBoolean());
        await using var work = app.Scopes.ForTenant(tenant.Id);
        var events = await work.Db.ConversationEvents.Where(e => e.ConversationId == conversation.Id).Select(e => e.Type).ToListAsync();
        Assert.Equal([ConversationEventType.TakenOver, ConversationEventType.HandedBack, ConversationEventType.Resolved], events.Order());
    }

    [Fact]
    public async Task Messages_come_oldest_first_with_their_delivery_status()
    {
        var tenant = await app.TenantAsync();
        var api = await TenantKeyAsync(tenant.Id);
        var conversation = await app.ConversationAsync(tenant.Id, "Cliente", "primero");
        (await api.PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/conversations/{conversation.Id}/messages", new { text = "segundo" }))
            .EnsureSuccessStatusCode();

        var page = await api.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{tenant.Id}/conversations/{conversation.Id}/messages?limit=1");
        var first = Assert.Single(page.GetProperty("items").EnumerateArray());
        Assert.Equal(("primero", "Inbound", "Received"), (first.GetProperty("text").GetString(), first.GetProperty("direction").GetString(),
            first.GetProperty("status").GetString()));
        var next = await api.GetFromJsonAsync<JsonElement>(
            $"/api/v1/tenants/{tenant.Id}/conversations/{conversation.Id}/messages?limit=1&cursor={page.GetProperty("nextCursor").GetString()}");
        var second = Assert.Single(next.GetProperty("items").EnumerateArray());
        Assert.Equal(("segundo", "Agent"), (second.GetProperty("text").GetString(), second.GetProperty("sender").GetString()));
        // Whatever the dispatcher made of it, the status is there, and a failure carries its reason.
        var status = second.GetProperty("status").GetString();
        Assert.Contains(status, new[] { "Queued", "Sent", "Delivered", "Read", "Failed" });
        if (status == "Failed") Assert.False(string.IsNullOrEmpty(second.GetProperty("error").GetString()));
    }

    [Fact]
    public async Task Another_tenants_ids_are_not_found_and_another_tenants_path_is_forbidden()
    {
        var a = await app.TenantAsync();
        var b = await app.TenantAsync();
        var conversationOfA = await app.ConversationAsync(a.Id, "Cliente de A", "secreto");
        var apiB = await TenantKeyAsync(b.Id);

        foreach (var path in new[] { $"conversations/{conversationOfA.Id}", $"conversations/{conversationOfA.Id}/messages", $"contacts/{conversationOfA.ContactId}" })
        {
            var response = await apiB.GetAsync($"/api/v1/tenants/{b.Id}/{path}");
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.DoesNotContain("secreto", await response.Content.ReadAsStringAsync());
        }
        Assert.Equal(HttpStatusCode.NotFound, (await apiB.PostAsync($"/api/v1/tenants/{b.Id}/conversations/{conversationOfA.Id}/takeover", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await apiB.GetAsync($"/api/v1/tenants/{a.Id}/conversations")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await apiB.PatchAsJsonAsync($"/api/v1/tenants/{b.Id}/contacts/{conversationOfA.ContactId}", new { name = "x" })).StatusCode);
    }

    [Fact]
    public async Task Contacts_are_listed_by_score_filtered_and_patched()
    {
        var tenant = await app.TenantAsync();
        var api = await TenantKeyAsync(tenant.Id);
        var hot = await app.ConversationAsync(tenant.Id, "Caliente Pérez", "hola");
        await app.ConversationAsync(tenant.Id, "Tibio López", "hola");
        await using (var work = app.Scopes.ForTenant(tenant.Id))
        {
            var contact = await work.Db.Contacts.SingleAsync(c => c.Id == hot.ContactId);
            contact.SetScore(88, null, DateTimeOffset.UtcNow);
            await work.Db.SaveChangesAsync();
        }

        var all = await api.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{tenant.Id}/contacts");
        Assert.Equal(["Caliente Pérez", "Tibio López"], all.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("name").GetString()));
        var hotOnly = await api.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{tenant.Id}/contacts?temperature=hot");
        Assert.Equal("Caliente Pérez", Assert.Single(hotOnly.GetProperty("items").EnumerateArray()).GetProperty("name").GetString());
        var search = await api.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{tenant.Id}/contacts?q=lópez");
        Assert.Equal("Tibio López", Assert.Single(search.GetProperty("items").EnumerateArray()).GetProperty("name").GetString());

        var patched = await api.PatchAsJsonAsync($"/api/v1/tenants/{tenant.Id}/contacts/{hot.ContactId}",
            new { email = "caliente@example.mx", stage = "qualified", botEnabled = false, fields = new Dictionary<string, string?> { ["clinica"] = "Centro" } });
        patched.EnsureSuccessStatusCode();
        var contactJson = await api.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{tenant.Id}/contacts/{hot.ContactId}");
        // "qualified" finds the default stage; the API answers with its name as the (Spanish) workspace has it.
        Assert.Equal(("caliente@example.mx", "Calificado", false, "Centro"), (contactJson.GetProperty("email").GetString(), contactJson.GetProperty("stage").GetString(),
            contactJson.GetProperty("botEnabled").GetBoolean(), contactJson.GetProperty("fields").GetProperty("clinica").GetString()));
        var badStage = await api.PatchAsJsonAsync($"/api/v1/tenants/{tenant.Id}/contacts/{hot.ContactId}", new { stage = "married" });
        Assert.Equal(HttpStatusCode.BadRequest, badStage.StatusCode);
    }
}
