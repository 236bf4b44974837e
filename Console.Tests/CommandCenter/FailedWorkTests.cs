using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Integrations;
using OperatorConsole.Tests.Channels;
using OperatorConsole.Tests.Fakes;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.CommandCenter;

/// <summary>
/// Failed work through the platform API, on the app sending for real to a local fake Graph API: every kind of quarantined
/// item is listed with its reason and attempts, a retry goes through the real path exactly once, discard keeps the record.
/// </summary>
public class FailedWorkTests(LiveOutboundApp live) : IClassFixture<LiveOutboundApp>
{
    private NodeAppFactory App => live.App;
    private FakeGraphApi Graph => live.Graph;

    private HttpClient Platform()
    {
        var client = App.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ConsoleAppFactory.PlatformKey);
        return client;
    }

    private async Task<List<JsonElement>> ListAsync(string? kind = null)
    {
        var response = await Platform().GetAsync("/api/v1/platform/failed-work" + (kind is null ? "" : $"?kind={kind}"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("items").EnumerateArray().ToList();
    }

    private static JsonElement? Find(IEnumerable<JsonElement> items, Guid id) =>
        items.Where(i => i.GetProperty("id").GetGuid() == id).Select(i => (JsonElement?)i).FirstOrDefault();

    private async Task<string> ActAsync(string kind, Guid id, string verb)
    {
        var response = await Platform().PostAsync($"/api/v1/platform/failed-work/{kind}/{id}/{verb}", null);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("outcome").GetString()!;
    }

    [Fact]
    public async Task A_send_that_failed_against_Graph_is_listed_and_retries_deliver_it_exactly_once()
    {
        var tenant = await App.TenantAsync();
        var channel = await App.ChannelAsync(tenant.Id);
        var waId = "52155" + Random.Shared.Next(10000000, 99999999);
        var conversation = await App.ConversationAsync(tenant.Id, "Cliente", "hola", channel, waId);
        IReadOnlyList<GraphRequest> Sends() => Graph.Sends.Where(s => s.Path.Contains($"/{channel.ExternalId}/")).ToList();

        // Graph refuses the send for good: the dispatcher fails the message with Meta's reason.
        Graph.FailNext(new GraphError(100, Message: "(#100) Invalid parameter"));
        var queued = await Platform().PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/conversations/{conversation.Id}/messages", new { text = "Su pedido está listo" });
        Assert.Equal(HttpStatusCode.Accepted, queued.StatusCode);
        var messageId = (await queued.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        await Eventually.GetAsync(async () =>
        {
            await using var work = App.Scopes.ForTenant(tenant.Id);
            return await work.Db.Messages.AsNoTracking().SingleAsync(m => m.Id == messageId);
        }, m => m.Status == DeliveryStatus.Failed, "the send to fail", TimeSpan.FromSeconds(30));
        Assert.Single(Sends());

        var listed = Find(await ListAsync("send"), messageId);
        Assert.NotNull(listed);
        Assert.Equal(tenant.Id, listed.Value.GetProperty("tenantId").GetGuid());
        Assert.Contains("Invalid parameter", listed.Value.GetProperty("reason").GetString());
        Assert.Equal(1, listed.Value.GetProperty("attempts").GetInt32());
        Assert.NotEqual(JsonValueKind.Null, listed.Value.GetProperty("lastAttemptAt").ValueKind);

        // Graph is healthy again. Two admins retry at the same moment, one of them twice.
        var outcomes = await Task.WhenAll(ActAsync("send", messageId, "retry"), ActAsync("send", messageId, "retry"), ActAsync("send", messageId, "retry"));
        Assert.Equal(1, outcomes.Count(o => o == "done"));

        var sent = await Eventually.GetAsync(async () =>
        {
            await using var work = App.Scopes.ForTenant(tenant.Id);
            return await work.Db.Messages.AsNoTracking().SingleAsync(m => m.Id == messageId);
        }, m => m.Status == DeliveryStatus.Sent, "the retried send to be delivered", TimeSpan.FromSeconds(30));
        Assert.StartsWith("wamid.", sent.ExternalId);
        Assert.Equal("done", outcomes.First(o => o == "done"));

        // A retry after delivery changes nothing: the customer got the message once.
        Assert.Equal("unchanged", await ActAsync("send", messageId, "retry"));
        var sends = Sends();
        Assert.Equal(2, sends.Count); // the refused attempt, then exactly one delivery
        Assert.Equal("Su pedido está listo", sends[1].Body!["text"]!["body"]!.GetValue<string>());
        Assert.Null(Find(await ListAsync("send"), messageId));

        await using var audit = App.Scopes.ForSystem("test");
        var entries = await audit.Db.AuditEntries.AsNoTracking()
            .Where(a => a.Action == "failed_work.retry" && a.EntityId == messageId.ToString()).ToListAsync();
        Assert.Equal(4, entries.Count);
        Assert.Single(entries, e => e.Details!.Contains("\"done\""));
        Assert.All(entries, e => Assert.Equal("platform-api", e.Actor));
    }

    [Fact]
    public async Task Every_kind_is_listed_with_its_reason_and_discard_hides_it_keeping_the_record()
    {
        var seeded = await FailedWorkSeed.EveryKindAsync(App);

        var all = await ListAsync();
        var expected = new Dictionary<string, (Guid Id, string Reason)>
        {
            ["webhook"] = (seeded.Webhook, "entry[0].changes is missing"),
            ["turn"] = (seeded.Turn, "failed 3 times"),
            ["send"] = (seeded.Send, "Message undeliverable"),
            ["outbound_webhook"] = (seeded.OutboundWebhook, "HTTP 503"),
            ["job"] = (seeded.Job, "window_closed"),
            ["import"] = (seeded.Import, "not valid UTF-8"),
        };
        foreach (var (kind, (id, reason)) in expected)
        {
            var byKind = Find(await ListAsync(kind), id);
            Assert.True(byKind is not null, $"{kind} {id} is listed under its kind");
            Assert.Equal(kind, byKind.Value.GetProperty("kind").GetString());
            Assert.Contains(reason, byKind.Value.GetProperty("reason").GetString());
            // An unparseable delivery is set aside when it arrives, before any processing attempt; everything else was tried.
            Assert.True(byKind.Value.GetProperty("attempts").GetInt32() >= (kind == "webhook" ? 0 : 1), $"{kind} shows its attempts");
            Assert.Equal(seeded.TenantId, byKind.Value.GetProperty("tenantId").GetGuid());
            Assert.NotNull(Find(all, id));
        }

        foreach (var (kind, id) in seeded.All)
        {
            Assert.Equal("done", await ActAsync(kind, id, "discard"));
            Assert.Equal("unchanged", await ActAsync(kind, id, "discard"));
            Assert.Null(Find(await ListAsync(kind), id));
        }

        // The failed records are all still there, unchanged: discard is not deletion.
        await using var work = App.Scopes.ForSystem("test");
        var db = work.Db;
        Assert.Equal(DeliveryState.Failed, (await db.WebhookDeliveries.AsNoTracking().SingleAsync(d => d.Id == seeded.Webhook)).State);
        Assert.Equal(HandoffReason.RepeatedFailures, (await db.Conversations.AsNoTracking().SingleAsync(c => c.Id == seeded.Turn)).HandoffReason);
        Assert.Equal(DeliveryStatus.Failed, (await db.Messages.AsNoTracking().SingleAsync(m => m.Id == seeded.Send)).Status);
        Assert.Equal(OutboundDeliveryStatus.Failed, (await db.OutboundWebhookDeliveries.AsNoTracking().SingleAsync(d => d.Id == seeded.OutboundWebhook)).Status);
        Assert.Equal(ScheduledItemStatus.Failed, (await db.ScheduledItems.AsNoTracking().SingleAsync(i => i.Id == seeded.Job)).Status);
        Assert.Equal(ContactImportStatus.Failed, (await db.ContactImports.AsNoTracking().SingleAsync(i => i.Id == seeded.Import)).Status);
        foreach (var (kind, id) in seeded.All)
        {
            Assert.Equal(1, await db.FailedWorkDiscards.CountAsync(d => d.Kind == kind && d.ItemId == id && d.RevivedAt == null));
            Assert.Equal(2, await db.AuditEntries.CountAsync(a => a.Action == "failed_work.discard" && a.EntityType == kind && a.EntityId == id.ToString()));
        }
    }

    [Fact]
    public async Task A_retry_puts_each_kind_back_on_its_own_path_once()
    {
        var seeded = await FailedWorkSeed.EveryKindAsync(App);
        foreach (var (kind, id) in seeded.All.Where(k => k.Kind is not "send"))
            Assert.Equal("done", await ActAsync(kind, id, "retry"));

        await using (var work = App.Scopes.ForSystem("test"))
        {
            var db = work.Db;
            // Each one left the failed state for its worker (which may already have taken it further).
            Assert.NotEqual(HandoffReason.RepeatedFailures, (await db.Conversations.AsNoTracking().SingleAsync(c => c.Id == seeded.Turn)).HandoffReason);
            Assert.NotEqual(OutboundDeliveryStatus.Failed, (await db.OutboundWebhookDeliveries.AsNoTracking().SingleAsync(d => d.Id == seeded.OutboundWebhook)).Status);
        }
        // The import worker continues the import from its stored file.
        await Eventually.GetAsync(async () =>
        {
            await using var work = App.Scopes.ForTenant(seeded.TenantId);
            return await work.Db.ContactImports.AsNoTracking().SingleAsync(i => i.Id == seeded.Import);
        }, i => i.Status == ContactImportStatus.Done, "the retried import to finish", TimeSpan.FromSeconds(30));
        // The scheduled message fires through the scheduler and is queued as a real send.
        var item = await Eventually.GetAsync(async () =>
        {
            await using var work = App.Scopes.ForTenant(seeded.TenantId);
            return await work.Db.ScheduledItems.AsNoTracking().SingleAsync(i => i.Id == seeded.Job);
        }, i => i.Status == ScheduledItemStatus.Done, "the retried scheduled message to fire", TimeSpan.FromSeconds(30));
        Assert.NotNull(item.MessageId);

        // A second retry of the turn (already back with the bot) changes nothing.
        Assert.Equal("unchanged", await ActAsync("turn", seeded.Turn, "retry"));
        Assert.Null(Find(await ListAsync("turn"), seeded.Turn));
    }

    [Fact]
    public async Task The_api_refuses_unknown_kinds_and_ids_and_anyone_but_the_platform_key()
    {
        var kind = await Platform().GetAsync("/api/v1/platform/failed-work?kind=fax");
        Assert.Equal(HttpStatusCode.BadRequest, kind.StatusCode);
        var problem = await kind.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("failed_work.kind", problem.GetProperty("code").GetString());
        Assert.Contains("fax", problem.GetProperty("detail").GetString());

        var retryKind = await Platform().PostAsync($"/api/v1/platform/failed-work/fax/{Guid.NewGuid()}/retry", null);
        Assert.Equal(HttpStatusCode.BadRequest, retryKind.StatusCode);

        var missing = await Platform().PostAsync($"/api/v1/platform/failed-work/send/{Guid.NewGuid()}/discard", null);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("failed_work.not_found", (await missing.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());

        // A workspace's own key (even with every scope) is not the platform.
        var tenant = await App.TenantAsync();
        var issued = await Platform().PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/api-keys", new { name = "ops", scopes = new[] { "read", "write", "admin" } });
        var key = (await issued.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString();
        var client = App.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/v1/platform/failed-work")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsync($"/api/v1/platform/failed-work/send/{Guid.NewGuid()}/retry", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await App.CreateClient().GetAsync("/api/v1/platform/failed-work")).StatusCode);
    }
}
