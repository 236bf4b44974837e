using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Domain.Revenue;
using OperatorConsole.Infrastructure.Security;
using OperatorConsole.Tests.Fakes;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Webhooks;

/// <summary>The app with a local receiver allowlisted (the tests' SSRF allowance) and fast retries.</summary>
public sealed class OutboundWebhookApp : IAsyncLifetime
{
    public FakeWebhookReceiver Receiver { get; private set; } = default!;

    /// <summary>Another local server, never allowlisted: stands for a service inside the network.</summary>
    public FakeWebhookReceiver Internal { get; private set; } = default!;
    public NodeAppFactory App { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        Receiver = await FakeWebhookReceiver.StartAsync();
        Internal = await FakeWebhookReceiver.StartAsync();
        App = new NodeAppFactory(null, new Dictionary<string, string?>
        {
            ["Network:PrivateAllowlist:0"] = $"127.0.0.1:{Receiver.Port}",
            ["OutboundWebhooks:RetryFirstSeconds"] = "0.2",
            ["OutboundWebhooks:PollMilliseconds"] = "100",
            ["OutboundWebhooks:PerSubscription"] = "2",
        });
        await App.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Receiver.DisposeAsync();
        await Internal.DisposeAsync();
    }
}

public class OutboundWebhookTests(OutboundWebhookApp fixture) : IClassFixture<OutboundWebhookApp>
{
    private NodeAppFactory App => fixture.App;
    private FakeWebhookReceiver Receiver => fixture.Receiver;
    private WebhookClient Hooks => new(App.CreateClient());

    private HttpClient Client(string key)
    {
        var client = App.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>A tenant with a WhatsApp channel and an API key allowed to manage webhooks.</summary>
    private async Task<(Guid TenantId, string PhoneNumberId, HttpClient Api)> TenantAsync()
    {
        var tenant = await App.TenantAsync();
        var channel = await App.ChannelAsync(tenant.Id);
        var key = await App.Services.GetRequiredService<ApiKeyService>().IssueAsync(tenant.Id, "hooks", ["read", "write", "admin"], null,
            new ApiKeyActor("test"));
        return (tenant.Id, channel.ExternalId, Client(key.Key));
    }

    private static async Task<(Guid Id, string Secret)> SubscribeAsync(HttpClient api, Guid tenantId, Uri url, string[] events, string? secret = null)
    {
        var response = await api.PostAsJsonAsync($"/api/v1/tenants/{tenantId}/webhooks", new { url, events, secret });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (body.GetProperty("id").GetGuid(), body.GetProperty("secret").GetString()!);
    }

    private async Task<HttpResponseMessage> CustomerWritesAsync(string phoneNumberId, string waId, string text) =>
        await Hooks.PostMetaAsync("whatsapp", Deliveries.WhatsAppText(phoneNumberId, waId, "wamid." + Guid.NewGuid().ToString("N"), text, DateTimeOffset.UtcNow));

    /// <summary>Requests the receiver got on <paramref name="path"/> for this tenant (receivers are shared by the class's tests).</summary>
    private IReadOnlyList<FakeWebhookReceiver.Received> ReceivedFor(Guid tenantId, string path) =>
        Receiver.To(path).Where(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("tenantId").GetGuid() == tenantId).ToList();

    private Task<IReadOnlyList<FakeWebhookReceiver.Received>> WaitForAsync(Guid tenantId, string path, Func<IReadOnlyList<FakeWebhookReceiver.Received>, bool> done,
        string what, TimeSpan? timeout = null) =>
        Eventually.GetAsync(() => Task.FromResult(ReceivedFor(tenantId, path)), done, what, timeout);

    private static async Task<JsonElement> DeliveryLogAsync(HttpClient api, Guid tenantId, Guid webhookId)
    {
        var response = await api.GetAsync($"/api/v1/tenants/{tenantId}/webhooks/{webhookId}/deliveries");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("items");
    }

    [Fact]
    public async Task A_workspace_downgraded_below_pro_keeps_its_webhook_but_sends_no_events_until_it_upgrades_again()
    {
        var (tenantId, phone, api) = await TenantAsync();
        var (webhookId, _) = await SubscribeAsync(api, tenantId, Receiver.Url("/downgraded"), ["message.received"]);
        var subscriptions = App.Services.GetRequiredService<OperatorConsole.Infrastructure.Webhooks.OutboundWebhookSubscriptions>();
        async Task PlanAsync(OperatorConsole.Domain.Tenants.Plan plan)
        {
            await using var work = App.Scopes.ForTenant(tenantId);
            (await work.Db.Tenants.SingleAsync(t => t.Id == tenantId)).ChangePlan(plan);
            await work.Db.SaveChangesAsync();
            await subscriptions.ReloadAsync(); // what every node does within OutboundWebhooks:SubscriptionRefreshSeconds
        }
        async Task<int> EventsAsync()
        {
            await using var work = App.Scopes.ForTenant(tenantId);
            return await work.Db.OutboundWebhookEvents.CountAsync();
        }
        async Task<int> MessagesAsync()
        {
            await using var work = App.Scopes.ForTenant(tenantId);
            return await work.Db.Messages.CountAsync();
        }

        await PlanAsync(OperatorConsole.Domain.Tenants.Plan.Growth);
        Assert.Equal(HttpStatusCode.OK, (await CustomerWritesAsync(phone, "5215550002222", "Hola, ¿siguen abiertos?")).StatusCode);
        await Eventually.TrueAsync(async () => await MessagesAsync() >= 1, "the customer's message stored");
        // Events are written in the same transaction as the message: none was, so none can reach the receiver.
        Assert.Equal(0, await EventsAsync());
        await using (var work = App.Scopes.ForTenant(tenantId))
            Assert.True(await work.Db.OutboundWebhooks.AnyAsync(w => w.Id == webhookId && w.Active)); // kept for the upgrade

        await PlanAsync(OperatorConsole.Domain.Tenants.Plan.Pro);
        Assert.Equal(HttpStatusCode.OK, (await CustomerWritesAsync(phone, "5215550002222", "¿Y mañana?")).StatusCode);
        var received = await WaitForAsync(tenantId, "/downgraded", r => r.Count >= 1, "message.received after the upgrade");
        static IEnumerable<string> Strings(JsonElement e) => e.ValueKind switch
        {
            JsonValueKind.String => [e.GetString()!],
            JsonValueKind.Object => e.EnumerateObject().SelectMany(p => Strings(p.Value)),
            JsonValueKind.Array => e.EnumerateArray().SelectMany(Strings),
            _ => [],
        };
        Assert.Contains("¿Y mañana?", Strings(JsonDocument.Parse(received[0].Body).RootElement));
    }

    [Fact]
    public async Task A_new_customer_message_reaches_the_receiver_signed_with_the_subscription_secret()
    {
        var (tenantId, phone, api) = await TenantAsync();
        const string secret = "receiver-shared-secret-123";
        await SubscribeAsync(api, tenantId, Receiver.Url("/ok"), ["lead.created", "message.received"], secret);

        Assert.Equal(HttpStatusCode.OK, (await CustomerWritesAsync(phone, "5215550001111", "Hola, ¿tienen citas mañana?")).StatusCode);

        var received = await WaitForAsync(tenantId, "/ok", r => r.Count >= 2, "lead.created and message.received");
        var types = received.Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("type").GetString()).ToHashSet();
        Assert.Equal(["lead.created", "message.received"], types.Order());
        foreach (var request in received)
        {
            // What a receiver does: recompute HMAC-SHA256(secret, "{t}.{raw body}") and compare.
            var parts = request.Headers["X-Console-Signature"].Split(',').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
            var expected = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{parts["t"]}.{request.Body}")));
            Assert.Equal(expected, parts["v1"]);
            Assert.InRange(long.Parse(parts["t"]), DateTimeOffset.UtcNow.AddMinutes(-2).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
            var body = JsonDocument.Parse(request.Body).RootElement;
            Assert.Equal(body.GetProperty("id").GetString(), request.Headers["X-Console-Event-Id"]);
            Assert.Equal(tenantId, body.GetProperty("tenantId").GetGuid());
            Assert.True(body.TryGetProperty("createdAt", out _));
            Assert.Equal("application/json", request.Headers["Content-Type"].Split(';')[0]);
        }
        var message = received.Select(r => JsonDocument.Parse(r.Body).RootElement).Single(b => b.GetProperty("type").GetString() == "message.received");
        Assert.Equal("Hola, ¿tienen citas mañana?", message.GetProperty("data").GetProperty("text").GetString());
    }

    [Fact]
    public async Task A_receiver_answering_500_gets_the_event_again_with_the_same_id_until_it_is_delivered()
    {
        var (tenantId, phone, api) = await TenantAsync();
        var (webhookId, _) = await SubscribeAsync(api, tenantId, Receiver.Url("/flaky"), ["message.received"]);

        await CustomerWritesAsync(phone, "5215550002222", "¿Precio de la limpieza?");

        var received = await WaitForAsync(tenantId, "/flaky", r => r.Count >= 2, "a retry after the 500");
        Assert.Single(received.Select(r => r.Headers["X-Console-Event-Id"]).Distinct());
        Assert.Equal(received[0].Body, received[1].Body);
        var log = await Eventually.GetAsync(() => DeliveryLogAsync(api, tenantId, webhookId),
            items => items.GetArrayLength() == 1 && items[0].GetProperty("status").GetString() == "delivered", "the delivery marked delivered");
        Assert.Equal(2, log[0].GetProperty("attempts").GetInt32());
        Assert.Equal(200, log[0].GetProperty("responseStatus").GetInt32());
        Assert.Equal(2, ReceivedFor(tenantId, "/flaky").Count); // delivered once is enough: no further attempt
    }

    [Fact]
    public async Task Replay_sends_the_same_event_again_and_the_log_counts_the_attempt()
    {
        var (tenantId, phone, api) = await TenantAsync();
        var (webhookId, _) = await SubscribeAsync(api, tenantId, Receiver.Url("/ok"), ["message.received"]);
        await CustomerWritesAsync(phone, "5215550003333", "Quiero agendar");
        var log = await Eventually.GetAsync(() => DeliveryLogAsync(api, tenantId, webhookId),
            items => items.GetArrayLength() == 1 && items[0].GetProperty("status").GetString() == "delivered", "first delivery");
        var deliveryId = log[0].GetProperty("id").GetGuid();

        var replay = await api.PostAsync($"/api/v1/tenants/{tenantId}/webhooks/{webhookId}/deliveries/{deliveryId}/replay", null);

        Assert.Equal(HttpStatusCode.Accepted, replay.StatusCode);
        var received = await WaitForAsync(tenantId, "/ok", r => r.Count >= 2, "the replayed event");
        Assert.Single(received.Select(r => r.Headers["X-Console-Event-Id"]).Distinct());
        await Eventually.GetAsync(() => DeliveryLogAsync(api, tenantId, webhookId),
            items => items[0].GetProperty("attempts").GetInt32() == 2 && items[0].GetProperty("status").GetString() == "delivered", "replay logged");
    }

    [Fact]
    public async Task A_rolled_back_change_writes_no_event_and_a_committed_one_does()
    {
        var (tenantId, _, api) = await TenantAsync();
        await SubscribeAsync(api, tenantId, Receiver.Url("/ok"), ["lead.created"]);

        Guid rolledBack, committed, setBased;
        await using (var work = App.Scopes.ForTenant(tenantId))
        {
            await using var tx = await work.Db.Database.BeginTransactionAsync();
            var contact = Contact.Create(tenantId, "Rollback", null, DateTimeOffset.UtcNow);
            rolledBack = contact.Id;
            work.Db.Contacts.Add(contact);
            work.Db.Raise(new LeadCreated(tenantId, contact.Id, "test"));
            await work.Db.SaveChangesAsync();
            await tx.RollbackAsync();
        }
        await using (var work = App.Scopes.ForTenant(tenantId))
        {
            var contact = Contact.Create(tenantId, "Commit", null, DateTimeOffset.UtcNow);
            committed = contact.Id;
            work.Db.Contacts.Add(contact);
            work.Db.Raise(new LeadCreated(tenantId, contact.Id, "test"));
            await work.Db.SaveChangesAsync();
        }
        await using (var work = App.Scopes.ForTenant(tenantId))
        {
            // A set-based write inside a transaction, with no save after it: its event row goes in at commit.
            await using var tx = await work.Db.Database.BeginTransactionAsync();
            setBased = Guid.NewGuid();
            work.Db.RaiseWritten(new LeadCreated(tenantId, setBased, "import"));
            await tx.CommitAsync();
        }

        await using var read = App.Scopes.ForTenant(tenantId);
        var bodies = await read.Db.OutboundWebhookEvents.AsNoTracking().Select(e => e.Body).ToListAsync();
        Assert.Equal(2, bodies.Count);
        Assert.DoesNotContain(bodies, b => b.Contains(rolledBack.ToString()));
        Assert.Contains(bodies, b => b.Contains(committed.ToString()));
        Assert.Contains(bodies, b => b.Contains(setBased.ToString()));
        Assert.Equal(2, await read.Db.OutboundWebhookDeliveries.CountAsync());
    }

    [Fact]
    public async Task A_receiver_that_takes_12_seconds_delays_neither_ingest_nor_other_subscriptions()
    {
        var (slowTenant, slowPhone, slowApi) = await TenantAsync();
        await SubscribeAsync(slowApi, slowTenant, Receiver.Url("/slow"), ["message.received"]);
        var (otherTenant, otherPhone, otherApi) = await TenantAsync();
        await SubscribeAsync(otherApi, otherTenant, Receiver.Url("/ok"), ["message.received"]);

        // More events than the slow subscription may have in flight: they queue behind it, nothing else does.
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 8; i++)
            Assert.Equal(HttpStatusCode.OK, (await CustomerWritesAsync(slowPhone, $"52155500044{i:00}", $"Mensaje {i}")).StatusCode);
        await WaitForAsync(slowTenant, "/slow", r => r.Count >= 2, "the slow receiver busy");
        var busySince = clock.Elapsed;
        Assert.Equal(HttpStatusCode.OK, (await CustomerWritesAsync(otherPhone, "5215550005555", "Hola")).StatusCode);
        await using (var work = App.Scopes.ForTenant(slowTenant))
            await Eventually.TrueAsync(async () => await work.Db.Messages.CountAsync() == 8, "all 8 slow-tenant messages ingested", TimeSpan.FromSeconds(5));
        await WaitForAsync(otherTenant, "/ok", r => r.Count == 1, "the other tenant's event", TimeSpan.FromSeconds(5));

        // All within a few seconds, while the slow receiver still holds its first requests (12 s each).
        Assert.True(clock.Elapsed < busySince + TimeSpan.FromSeconds(8), $"took {clock.Elapsed} while the receiver was slow");
        Assert.Equal(2, ReceivedFor(slowTenant, "/slow").Count); // OutboundWebhooks:PerSubscription = 2
    }

    [Theory]
    [InlineData("http://127.0.0.1:{internal}/ok", "webhook.url_blocked")]
    [InlineData("http://169.254.169.254/latest/meta-data/", "webhook.url_blocked")]
    [InlineData("https://10.0.0.5/hook", "webhook.url_blocked")]
    [InlineData("http://8.8.8.8/hook", "webhook.url_https")]
    [InlineData("ftp://8.8.8.8/hook", "webhook.url_invalid")]
    public async Task Subscriptions_to_private_metadata_or_unencrypted_addresses_are_refused(string url, string code)
    {
        var (tenantId, _, api) = await TenantAsync();

        var response = await api.PostAsJsonAsync($"/api/v1/tenants/{tenantId}/webhooks",
            new { url = url.Replace("{internal}", fixture.Internal.Port.ToString()), events = new[] { "lead.created" } });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal(code, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        var list = await api.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{tenantId}/webhooks");
        Assert.Equal(0, list.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task A_tenant_sees_and_replays_only_its_own_subscriptions_and_deliveries()
    {
        var (tenantA, phoneA, apiA) = await TenantAsync();
        var (tenantB, _, apiB) = await TenantAsync();
        var (webhookA, _) = await SubscribeAsync(apiA, tenantA, Receiver.Url("/ok"), ["message.received"]);
        await CustomerWritesAsync(phoneA, "5215550006666", "Hola A");
        var logA = await Eventually.GetAsync(() => DeliveryLogAsync(apiA, tenantA, webhookA), items => items.GetArrayLength() == 1, "A's delivery");
        var deliveryA = logA[0].GetProperty("id").GetGuid();

        // B's key on A's routes is refused outright; on its own routes A's ids do not exist.
        Assert.NotEqual(HttpStatusCode.OK, (await apiB.GetAsync($"/api/v1/tenants/{tenantA}/webhooks")).StatusCode);
        var listB = await apiB.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{tenantB}/webhooks");
        Assert.Equal(0, listB.GetProperty("items").GetArrayLength());
        Assert.Equal(HttpStatusCode.NotFound, (await apiB.GetAsync($"/api/v1/tenants/{tenantB}/webhooks/{webhookA}/deliveries")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound,
            (await apiB.PostAsync($"/api/v1/tenants/{tenantB}/webhooks/{webhookA}/deliveries/{deliveryA}/replay", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await apiB.DeleteAsync($"/api/v1/tenants/{tenantB}/webhooks/{webhookA}")).StatusCode);

        // Below the query filters, row-level security hides A's rows from B's connection.
        await using var work = App.Scopes.ForTenant(tenantB);
        Assert.Equal(0, await work.Db.OutboundWebhooks.IgnoreQueryFilters().CountAsync());
        Assert.Equal(0, await work.Db.OutboundWebhookEvents.IgnoreQueryFilters().CountAsync());
        Assert.Equal(0, await work.Db.OutboundWebhookDeliveries.IgnoreQueryFilters().CountAsync());
    }

    [Fact]
    public async Task A_tenant_without_subscriptions_writes_no_event_rows()
    {
        var (tenantId, phone, _) = await TenantAsync();

        await CustomerWritesAsync(phone, "5215550007777", "Hola");

        await using var work = App.Scopes.ForTenant(tenantId);
        await Eventually.TrueAsync(async () => await work.Db.Messages.CountAsync() == 1, "message stored");
        Assert.Equal(0, await work.Db.OutboundWebhookEvents.CountAsync());
    }
}
