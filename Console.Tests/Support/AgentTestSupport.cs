using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Agent;
using OperatorConsole.Tests.Fakes;

namespace OperatorConsole.Tests.Support;

/// <summary>The app with a scripted LLM (Llm:* pointed at <see cref="FakeLlm"/>) and fast agent polling.</summary>
public sealed class AgentApp : IAsyncLifetime
{
    public FakeLlm Llm { get; private set; } = default!;
    public NodeAppFactory App { get; private set; } = default!;

    public static Dictionary<string, string?> Settings(FakeLlm llm, int leaseSeconds = 60) => new()
    {
        ["Llm:ApiKey"] = "test-llm-key",
        ["Llm:Endpoint"] = llm.Endpoint,
        ["Llm:MaxRetries"] = "1",
        ["Llm:TimeoutSeconds"] = "20",
        ["Agent:PollMilliseconds"] = "50",
        ["Agent:LeaseSeconds"] = leaseSeconds.ToString(),
        // Fewer turn workers than the test pool's 20 connections: a burst's commits queue on the tenant's usage lock
        // holding a connection each, and webhooks and the test's own reads still need some.
        ["Agent:Workers"] = "12",
    };

    public async Task InitializeAsync()
    {
        Llm = await FakeLlm.StartAsync();
        App = new NodeAppFactory(null, Settings(Llm));
        await App.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Llm.DisposeAsync();
    }
}

/// <summary>A test's own tenant with a WhatsApp number and one customer who writes to it through signed webhooks.</summary>
public sealed class TestCustomer
{
    private readonly ConsoleAppFactory _app;
    private readonly WebhookClient _webhooks;

    private TestCustomer(ConsoleAppFactory app, Guid tenantId, string phoneNumberId, string waId)
    {
        _app = app;
        TenantId = tenantId;
        PhoneNumberId = phoneNumberId;
        WaId = waId;
        _webhooks = new WebhookClient(app.CreateClient());
    }

    public Guid TenantId { get; }
    public string PhoneNumberId { get; }
    public string WaId { get; }

    /// <summary>A marker unique to this customer, to find its requests among the fake LLM's.</summary>
    public string Marker { get; } = "m" + Guid.NewGuid().ToString("N")[..8];

    public static async Task<TestCustomer> CreateAsync(ConsoleAppFactory app, Func<AgentSettings, AgentSettings>? profile = null, int bufferSeconds = 1)
    {
        var tenant = await app.TenantAsync();
        var channel = await app.ChannelAsync(tenant.Id);
        await using (var work = app.Scopes.ForTenant(tenant.Id))
        {
            var profiles = app.Services.GetRequiredService<AgentProfiles>();
            var live = await profiles.GetLiveAsync(work.Db, tenant.Id, default);
            var settings = live.Settings with { BufferSeconds = bufferSeconds, EscalationKeywords = ["quiero un humano"] };
            await profiles.UpdateLiveAsync(work.Db, tenant.Id, profile?.Invoke(settings) ?? settings, default);
        }
        return new TestCustomer(app, tenant.Id, channel.ExternalId, "52155" + Random.Shared.Next(10000000, 99999999));
    }

    /// <summary>The same customer seen through another app instance on the same database (a restart, another node).</summary>
    public static Task<TestCustomer> AttachAsync(ConsoleAppFactory app, TestCustomer customer) =>
        Task.FromResult(new TestCustomer(app, customer.TenantId, customer.PhoneNumberId, customer.WaId));

    /// <summary>The customer writes (a signed WhatsApp webhook); returns the wamid.</summary>
    /// <param name="sentAt">The platform's timestamp (whole seconds on WhatsApp); now by default.</param>
    public async Task<string> SayAsync(string text, string? wamid = null, DateTimeOffset? sentAt = null)
    {
        wamid ??= "wamid." + Guid.NewGuid().ToString("N");
        var response = await _webhooks.PostMetaAsync("whatsapp", Deliveries.WhatsAppText(PhoneNumberId, WaId, wamid, text, sentAt ?? DateTimeOffset.UtcNow));
        response.EnsureSuccessStatusCode();
        return wamid;
    }

    public Task<HttpResponseMessage> RepostAsync(string text, string wamid) =>
        _webhooks.PostMetaAsync("whatsapp", Deliveries.WhatsAppText(PhoneNumberId, WaId, wamid, text, DateTimeOffset.UtcNow));

    public async Task<Conversation> ConversationAsync()
    {
        await using var work = _app.Scopes.ForTenant(TenantId);
        return await Eventually.GetAsync(() => work.Db.Conversations.AsNoTracking().SingleOrDefaultAsync(), c => c is not null, "the conversation")
            ?? throw new InvalidOperationException();
    }

    public async Task<List<Message>> BotMessagesAsync()
    {
        await using var work = _app.Scopes.ForTenant(TenantId);
        return await work.Db.Messages.AsNoTracking().Where(m => m.Sender == MessageSender.Bot).OrderBy(m => m.CreatedAt).ToListAsync();
    }

    public async Task<List<Message>> WaitForBotMessagesAsync(int count)
    {
        return await Eventually.GetAsync(BotMessagesAsync, m => m.Count >= count, $"{count} bot message(s)", TimeSpan.FromSeconds(30));
    }

    /// <summary>Waits until no turn is due or running for this customer's conversation (the runner is done with it).</summary>
    public async Task WaitUntilSettledAsync()
    {
        await Eventually.TrueAsync(async () =>
        {
            await using var work = _app.Scopes.ForTenant(TenantId);
            return await work.Db.Conversations.AnyAsync() && !await work.Db.Conversations.AnyAsync(c => c.AgentDueAt != null || c.AgentLeaseId != null);
        }, "the agent turn to finish", TimeSpan.FromSeconds(30));
    }

    public async Task<List<ConversationEvent>> EventsAsync()
    {
        await using var work = _app.Scopes.ForTenant(TenantId);
        return await work.Db.ConversationEvents.AsNoTracking().OrderBy(e => e.CreatedAt).ToListAsync();
    }
}

/// <summary>The demo workspace on a real socket (browser tests) with a scripted LLM.</summary>
public sealed class AgentBrowserApp : IAsyncLifetime
{
    public FakeLlm Llm { get; private set; } = default!;
    public ConsoleAppFactory App { get; private set; } = default!;

    private sealed class Factory(IReadOnlyDictionary<string, string?> settings) : ConsoleAppFactory(null, settings)
    {
        protected override bool SeedDemo => true;
        protected override bool UseRealSocket => true;
    }

    public async Task InitializeAsync()
    {
        Llm = await FakeLlm.StartAsync();
        App = new Factory(AgentApp.Settings(Llm));
        await App.InitializeAsync();
        // The agent studio's browser tests use Pro features (replay, custom tools) and make a channel per conversation: no plan limits.
        await using var system = App.Scopes.ForSystem("test: demo workspace on Enterprise");
        var demo = await system.Db.Tenants.SingleAsync(t => t.Slug == OperatorConsole.Infrastructure.Demo.DemoSeeder.TenantSlug);
        demo.ChangePlan(OperatorConsole.Domain.Tenants.Plan.Enterprise);
        await system.Db.SaveChangesAsync();
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Llm.DisposeAsync();
    }
}
