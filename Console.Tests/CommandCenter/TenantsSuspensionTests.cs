using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.CommandCenter;

/// <summary>
/// Suspending a workspace from the platform API: customers' messages still reach its inbox but the bot does not answer
/// (no model call), its members see the suspended notice instead of the app; resuming brings both back. Audited, idempotent.
/// </summary>
public class TenantsSuspensionTests(AgentApp agent) : IClassFixture<AgentApp>
{
    private const string SuspendedText = "Este espacio de trabajo está suspendido";

    [Fact]
    public async Task A_suspended_tenant_stores_webhooks_without_a_bot_turn_and_its_members_see_the_notice_until_resumed()
    {
        var app = agent.App;
        var customer = await TestCustomer.CreateAsync(app);
        string slug;
        await using (var system = app.Scopes.ForSystem("test"))
            slug = (await system.Db.Tenants.SingleAsync(t => t.Id == customer.TenantId)).Slug;
        var platform = app.CreateClient();
        platform.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ConsoleAppFactory.PlatformKey);
        var member = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        Assert.Equal(HttpStatusCode.Redirect, (await new FormClient(member).LoginAsync($"{slug}@owner.test", "Str0ng!Pass")).StatusCode);
        Assert.DoesNotContain(SuspendedText, await HtmlAsync(member, "/inbox"));
        var key = await app.Services.GetRequiredService<OperatorConsole.Infrastructure.Security.ApiKeyService>()
            .IssueAsync(customer.TenantId, "integration", ["read", "write"], null, new OperatorConsole.Infrastructure.Security.ApiKeyActor("test"));
        var tenantKey = app.CreateClient();
        tenantKey.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key.Key);
        tenantKey.DefaultRequestHeaders.AcceptLanguage.ParseAdd("es");
        var conversationsUrl = $"/api/v1/tenants/{customer.TenantId}/conversations";
        Assert.Equal(HttpStatusCode.OK, (await tenantKey.GetAsync(conversationsUrl)).StatusCode);

        // Suspended through the API, twice: the second call changes nothing and writes no second entry.
        var first = await platform.PostAsJsonAsync($"/api/v1/platform/tenants/{slug}/suspend", new { reason = "chargeback under review" });
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.True((await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("changed").GetBoolean());
        var second = await platform.PostAsync($"/api/v1/platform/tenants/{customer.TenantId}/suspend", null);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.False((await second.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("changed").GetBoolean());
        await using (var work = app.Scopes.ForTenant(customer.TenantId))
        {
            Assert.Equal(TenantStatus.Suspended, (await work.Db.Tenants.AsNoTracking().SingleAsync(t => t.Id == customer.TenantId)).Status);
            var audit = await work.Db.AuditEntries.AsNoTracking().Where(a => a.TenantId == customer.TenantId && a.Action == "tenant.suspend").ToListAsync();
            Assert.Equal("chargeback under review", Assert.Single(audit).Details);
        }
        Assert.Equal(HttpStatusCode.NotFound, (await platform.PostAsync($"/api/v1/platform/tenants/{Guid.NewGuid()}/suspend", null)).StatusCode);

        // The customer writes: the message is in the inbox, no bot turn asks the model, nothing is sent back.
        var modelCalls = agent.Llm.ReplyRequests.Count;
        var text = "Hola, ¿tienen citas mañana? " + customer.Marker;
        await customer.SayAsync(text);
        var conversation = await customer.ConversationAsync();
        await Eventually.TrueAsync(async () =>
        {
            await using var work = app.Scopes.ForTenant(customer.TenantId);
            return await work.Db.Messages.AnyAsync(m => m.ConversationId == conversation.Id && m.Body == text && m.Direction == MessageDirection.Inbound);
        }, "the customer's message in the suspended tenant's inbox");
        await customer.WaitUntilSettledAsync();
        Assert.Empty(await customer.BotMessagesAsync());
        Assert.Equal(modelCalls, agent.Llm.ReplyRequests.Count);

        // Its own keys are refused (a workspace stopped for abuse cannot go on sending through its integration), with
        // the reason in the caller's language; so is a live connection. The platform key still acts on it.
        var refused = await tenantKey.GetAsync(conversationsUrl);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("workspace.suspended", problem.GetProperty("code").GetString());
        Assert.StartsWith("Este espacio de trabajo está suspendido", problem.GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, (await tenantKey.PostAsJsonAsync(
            $"/api/v1/tenants/{customer.TenantId}/conversations/{conversation.Id}/messages", new { text = "oferta" })).StatusCode);
        await using (var hub = Hub(app, key.Key))
            Assert.Contains("403", (await Assert.ThrowsAsync<HttpRequestException>(() => hub.StartAsync())).Message);
        Assert.Equal(HttpStatusCode.OK, (await platform.GetAsync(conversationsUrl)).StatusCode);

        // Its members see the notice in their language instead of the app, on any page.
        foreach (var path in new[] { "/inbox", "/", "/leads" })
        {
            var html = await HtmlAsync(member, path);
            Assert.Contains(SuspendedText, html);
            Assert.DoesNotContain("Hola, ¿tienen citas mañana?", html);
        }

        // Resumed: the app is back for members, and the bot answers again once the team hands the chat back.
        var resumed = await platform.PostAsJsonAsync($"/api/v1/platform/tenants/{slug}/resume", new { reason = "paid" });
        Assert.True((await resumed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("changed").GetBoolean());
        Assert.DoesNotContain(SuspendedText, await HtmlAsync(member, "/inbox"));
        Assert.Equal(HttpStatusCode.OK, (await tenantKey.GetAsync(conversationsUrl)).StatusCode);
        await using (var hub = Hub(app, key.Key))
        {
            await hub.StartAsync();
            Assert.Equal(HubConnectionState.Connected, hub.State);
        }
        conversation = await customer.ConversationAsync();
        if (conversation.Owner != ConversationOwner.Bot)
        {
            var released = await platform.PostAsync($"/api/v1/tenants/{customer.TenantId}/conversations/{conversation.Id}/release", null);
            Assert.True(released.IsSuccessStatusCode, $"release answered {released.StatusCode}");
        }
        await customer.SayAsync("¿Me confirman el horario?");
        await customer.WaitForBotMessagesAsync(1);
        Assert.True(agent.Llm.ReplyRequests.Count > modelCalls);
        await using (var work = app.Scopes.ForTenant(customer.TenantId))
            Assert.True(await work.Db.AuditEntries.AnyAsync(a => a.TenantId == customer.TenantId && a.Action == "tenant.resume" && a.Details == "paid"));
    }

    [Fact]
    public async Task Only_the_platform_key_reaches_the_platform_routes()
    {
        var app = agent.App;
        var tenant = await app.TenantAsync();
        var key = await app.Services.GetRequiredService<OperatorConsole.Infrastructure.Security.ApiKeyService>()
            .IssueAsync(tenant.Id, "all scopes", ["read", "write", "admin"], null, new OperatorConsole.Infrastructure.Security.ApiKeyActor("test"));
        var tenantKey = app.CreateClient();
        tenantKey.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key.Key);
        var refused = await tenantKey.PostAsync($"/api/v1/platform/tenants/{tenant.Id}/suspend", null);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        await using var work = app.Scopes.ForSystem("test");
        Assert.Equal(TenantStatus.Active, (await work.Db.Tenants.AsNoTracking().SingleAsync(t => t.Id == tenant.Id)).Status);
    }

    private static HubConnection Hub(ConsoleAppFactory app, string bearer) => new HubConnectionBuilder()
        .WithUrl(new Uri(app.Server.BaseAddress, "/hubs/console"), o =>
        {
            o.AccessTokenProvider = () => Task.FromResult<string?>(bearer);
            o.HttpMessageHandlerFactory = _ => app.Server.CreateHandler();
            o.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.LongPolling;
        })
        .Build();

    private static async Task<string> HtmlAsync(HttpClient client, string path)
    {
        var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
    }
}
