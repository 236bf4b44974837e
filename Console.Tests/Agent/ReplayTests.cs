using OperatorConsole.Infrastructure.Agent.Replay;
using OperatorConsole.Infrastructure.Agent;
using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Tests.Fakes;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Agent;

/// <summary>The app with a scripted LLM, a fake Graph API that counts every request and a tenant webhook tool server.</summary>
public sealed class ReplayApp : IAsyncLifetime
{
    public FakeLlm Llm { get; private set; } = default!;
    public FakeGraphApi Graph { get; private set; } = default!;
    public ToolServer Tools { get; private set; } = default!;
    public NodeAppFactory App { get; private set; } = default!;

    public static Dictionary<string, string?> Settings(FakeLlm llm, FakeGraphApi graph, ToolServer tools)
    {
        var settings = AgentApp.Settings(llm);
        settings["Outbound:Mode"] = "Live";
        settings["Meta:GraphBaseUrl"] = graph.BaseUrl.ToString().TrimEnd('/');
        settings["Meta:GraphVersion"] = "v23.0";
        settings["Network:PrivateAllowlist:0"] = $"127.0.0.1:{tools.Port}";
        settings["Replay:PollSeconds"] = "1";
        settings["Replay:LeaseSeconds"] = "3";
        return settings;
    }

    public async Task InitializeAsync()
    {
        Llm = await FakeLlm.StartAsync();
        Graph = await FakeGraphApi.StartAsync();
        Tools = await ToolServer.StartAsync();
        App = new NodeAppFactory(null, Settings(Llm, Graph, Tools));
        await App.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Tools.DisposeAsync();
        await Graph.DisposeAsync();
        await Llm.DisposeAsync();
    }
}

/// <summary>Seeds past conversations as they would be after real traffic: customer turns and the replies they got.</summary>
public static class ReplayData
{
    /// <summary>A conversation alternating customer and business lines (even = customer, odd = bot), a minute apart, already delivered.</summary>
    public static async Task<Conversation> PastConversationAsync(this ConsoleAppFactory app, Guid tenantId, string contactName,
        params string[] lines)
    {
        var channel = await app.ChannelAsync(tenantId);
        var start = DateTimeOffset.UtcNow.AddHours(-2);
        await using var work = app.Scopes.ForTenant(tenantId);
        var contact = OperatorConsole.Domain.Contacts.Contact.Create(tenantId, contactName, null, start);
        var conversation = Conversation.Start(tenantId, channel.Id, contact.Id, start);
        work.Db.Contacts.Add(contact);
        work.Db.Conversations.Add(conversation);
        for (var i = 0; i < lines.Length; i++)
        {
            var at = start.AddMinutes(i);
            if (i % 2 == 0)
            {
                conversation.RecordInbound(at, channel.Kind, fromAdReferral: false, lines[i]);
                work.Db.Messages.Add(Message.Inbound(conversation, "wamid." + Guid.NewGuid().ToString("N"), MessageType.Text, lines[i], null, at, at));
            }
            else
            {
                var reply = Message.Outbound(conversation, MessageSender.Bot, null, MessageType.Text, lines[i], null, at);
                // Already delivered long ago: the outbound sender must have nothing to send for these rows.
                reply.AdvanceStatus(DeliveryStatus.Delivered);
                work.Db.Messages.Add(reply);
            }
        }
        await work.Db.SaveChangesAsync();
        return conversation;
    }
}

/// <summary>
/// Replay evaluation: the draft answers past customer turns through the sandbox in the background; nothing reaches a
/// channel or a tool's server, both replies are stored per turn, and the judge's verdict is kept.
/// </summary>
public class ReplayTests(ReplayApp fixture) : IClassFixture<ReplayApp>
{
    private HttpClient Api(ConsoleAppFactory app)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ConsoleAppFactory.PlatformKey);
        return client;
    }

    private static async Task<JsonElement> WaitFinishedAsync(HttpClient api, Guid tenantId, Guid runId)
    {
        JsonElement detail = default;
        await Eventually.TrueAsync(async () =>
        {
            detail = await api.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{tenantId}/agent/replays/{runId}");
            return detail.GetProperty("run").GetProperty("status").GetString() == "Completed";
        }, "the replay to finish", TimeSpan.FromSeconds(60));
        return detail;
    }

    [Fact]
    public async Task Replay_sends_nothing_calls_no_tool_server_and_stores_both_replies_and_the_judges_verdict_per_turn()
    {
        var tenant = await fixture.App.TenantAsync();
        var api = Api(fixture.App);
        var tool = await api.PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/tools", new
        {
            name = "check_stock",
            description = "Existencias de un producto",
            parametersSchema = new { type = "object", properties = new { product = new { type = "string" } }, required = new[] { "product" } },
            url = $"http://127.0.0.1:{fixture.Tools.Port}/echo",
            method = "POST",
            mode = "live",
            mockResponse = """{"inStock":3}""",
        });
        Assert.Equal(HttpStatusCode.Created, tool.StatusCode);
        var conversation = await fixture.App.PastConversationAsync(tenant.Id, "Lucía",
            "¿Tienen cepillos eléctricos?", "Sí, tenemos 7 en existencia.", "¿Y hacen envíos?", "Sí, a todo el país.");
        var messagesBefore = await CountMessagesAsync(tenant.Id);
        var graphBefore = fixture.Graph.Requests.Count;

        fixture.Llm.Reply(LlmAnswer.Call("check_stock", new { product = "cepillo eléctrico" }), LlmAnswer.Say("Borrador: quedan 3 cepillos."),
            LlmAnswer.Say("Borrador: enviamos en 24 horas."));
        fixture.Llm.Analysis(new { verdict = "better", why = "Da la existencia exacta." });
        fixture.Llm.Analysis(new { verdict = "worse", why = "Promete un plazo que el negocio no ofrece." });
        var started = await api.PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/agent/replays", new { conversationIds = new[] { conversation.Id }, judge = true });
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var runId = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();

        var detail = await WaitFinishedAsync(api, tenant.Id, runId);
        var run = detail.GetProperty("run");
        Assert.Equal(2, run.GetProperty("totalTurns").GetInt32());
        Assert.Equal(2, run.GetProperty("doneTurns").GetInt32());
        Assert.Equal(1, run.GetProperty("better").GetInt32());
        Assert.Equal(1, run.GetProperty("worse").GetInt32());
        Assert.True(run.GetProperty("cost").GetDecimal() > 0);
        var turns = detail.GetProperty("turns").EnumerateArray().ToList();
        Assert.Equal("¿Tienen cepillos eléctricos?", turns[0].GetProperty("customerText").GetString());
        Assert.Equal("Sí, tenemos 7 en existencia.", turns[0].GetProperty("liveReply").GetString());
        Assert.Equal("Borrador: quedan 3 cepillos.", turns[0].GetProperty("draftReply").GetString());
        Assert.Equal("better", turns[0].GetProperty("verdict").GetString());
        Assert.Equal("Da la existencia exacta.", turns[0].GetProperty("verdictWhy").GetString());
        var call = Assert.Single(turns[0].GetProperty("toolCalls").EnumerateArray());
        Assert.Equal("check_stock", call.GetProperty("name").GetString());
        Assert.Contains("cepillo eléctrico", call.GetProperty("arguments").GetString());
        Assert.Equal("""{"inStock":3}""", call.GetProperty("result").GetString());
        Assert.Equal("Sí, a todo el país.", turns[1].GetProperty("liveReply").GetString());
        Assert.Equal("Borrador: enviamos en 24 horas.", turns[1].GetProperty("draftReply").GetString());
        Assert.Equal("worse", turns[1].GetProperty("verdict").GetString());

        // The second turn's model call saw the conversation as it was then: the first customer line and the live reply.
        var second = fixture.Llm.ReplyRequests[^1]["messages"]!.AsArray()
            .Select(m => m!["content"] is System.Text.Json.Nodes.JsonValue v ? v.GetValue<string>() : "").ToList();
        Assert.Contains("Sí, tenemos 7 en existencia.", second);
        Assert.DoesNotContain("Sí, a todo el país.", second);

        // Nothing reached a channel, the tool's server, or the conversation.
        Assert.Equal(graphBefore, fixture.Graph.Requests.Count);
        Assert.Empty(fixture.Graph.Requests);
        Assert.Empty(fixture.Tools.Received);
        Assert.Equal(messagesBefore, await CountMessagesAsync(tenant.Id));
        await using var work = fixture.App.Scopes.ForTenant(tenant.Id);
        // Both turns' draft calls and both verdicts are counted in the tenant's token usage.
        Assert.Equal(4, await work.Db.TokenUsage.CountAsync(u => u.Feature == LlmFeature.Replay));
    }

    [Fact]
    public async Task Every_turn_of_a_run_answers_with_the_draft_as_it_was_when_the_run_started_even_if_the_owner_edits_it_meanwhile()
    {
        var tenant = await fixture.App.TenantAsync();
        var marker = Guid.NewGuid().ToString("N")[..8];
        var profiles = fixture.App.Services.GetRequiredService<AgentProfiles>();
        await using (var work = fixture.App.Scopes.ForTenant(tenant.Id))
        {
            var draft = await profiles.GetDraftAsync(work.Db, tenant.Id, default);
            await profiles.SaveDraftAsync(work.Db, tenant.Id, draft.Settings with { SystemPrompt = $"Borrador A {marker}" }, default, new AgentActor(null, "Ana"));
        }
        var conversation = await fixture.App.PastConversationAsync(tenant.Id, "Rosa", "Hola", "¡Hola!", "¿Precio?", "$500");
        var hold = new TaskCompletionSource();
        fixture.Llm.Reply(new LlmAnswer(Text: "uno", Hold: hold), LlmAnswer.Say("dos"));
        var runs = fixture.App.Services.GetRequiredService<ReplayRuns>();
        var run = await runs.StartAsync(tenant.Id, [conversation.Id], judge: false, new(null, "test"), default);
        bool OfThisRun(System.Text.Json.Nodes.JsonNode r) => r.ToJsonString().Contains(marker) || r.ToJsonString().Contains("Borrador B");
        try
        {
            await Eventually.TrueAsync(() => Task.FromResult(fixture.Llm.ReplyRequests.Any(OfThisRun)), "the first turn to reach the model");
            // The owner keeps working on the draft while the run is half-way.
            await using var work = fixture.App.Scopes.ForTenant(tenant.Id);
            var draft = await profiles.GetDraftAsync(work.Db, tenant.Id, default);
            await profiles.SaveDraftAsync(work.Db, tenant.Id, draft.Settings with { SystemPrompt = "Borrador B" }, default, new AgentActor(null, "Ana"));
        }
        finally
        {
            hold.TrySetResult();
        }
        await Eventually.TrueAsync(async () => (await runs.FindAsync(tenant.Id, run.Id, default))?.Status == ReplayRunStatus.Completed,
            "the replay to finish", TimeSpan.FromSeconds(60));

        var prompts = fixture.Llm.ReplyRequests.Where(OfThisRun)
            .Select(r => r["messages"]!.AsArray().First(m => (string?)m!["role"] == "system")!["content"]!.ToString()).ToList();
        Assert.Equal(2, prompts.Count);
        Assert.All(prompts, p => Assert.Contains($"Borrador A {marker}", p));
        Assert.All(prompts, p => Assert.DoesNotContain("Borrador B", p));
    }

    private async Task<int> CountMessagesAsync(Guid tenantId)
    {
        await using var work = fixture.App.Scopes.ForTenant(tenantId);
        return await work.Db.Messages.CountAsync();
    }

    [Fact]
    public async Task Another_tenants_conversation_cannot_be_replayed()
    {
        var mine = await fixture.App.TenantAsync();
        var theirs = await fixture.App.TenantAsync();
        var conversation = await fixture.App.PastConversationAsync(theirs.Id, "Ajeno", "Hola", "¡Hola!");
        var api = Api(fixture.App);
        var response = await api.PostAsJsonAsync($"/api/v1/tenants/{mine.Id}/agent/replays", new { conversationIds = new[] { conversation.Id } });
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("replay.conversation", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        Assert.Empty(await api.GetFromJsonAsync<List<JsonElement>>($"/api/v1/tenants/{mine.Id}/agent/replays") ?? []);
    }

    [Fact]
    public async Task The_system_pick_spreads_conversations_over_channels()
    {
        var tenant = await fixture.App.TenantAsync();
        var whatsapp = new List<Guid>();
        for (var i = 0; i < 4; i++) whatsapp.Add((await fixture.App.PastConversationAsync(tenant.Id, $"WA {i}", "Hola", "¡Hola!")).Id);
        var messenger = await fixture.App.ChannelAsync(tenant.Id, OperatorConsole.Domain.Channels.ChannelKind.Messenger);
        var other = await fixture.App.ConversationAsync(tenant.Id, "Messenger", "Hola desde Messenger", messenger);
        var picked = await Replays().PickAsync(tenant.Id, 2, default);
        Assert.Equal(2, picked.Count);
        Assert.Contains(other.Id, picked);
    }

    private OperatorConsole.Infrastructure.Agent.Replay.ReplayRuns Replays() =>
        Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<OperatorConsole.Infrastructure.Agent.Replay.ReplayRuns>(
            fixture.App.Services);
}

/// <summary>A run outlives the node that started it: the next node resumes from the first unanswered turn.</summary>
public class ReplayRestartTests
{
    [Fact]
    public async Task A_replay_interrupted_by_a_restart_resumes_and_finishes_every_turn_once()
    {
        await using var llm = await FakeLlm.StartAsync();
        await using var graph = await FakeGraphApi.StartAsync();
        await using var tools = await ToolServer.StartAsync();
        var database = await TestDatabase.CreateAsync();
        var first = new NodeAppFactory(database, ReplayApp.Settings(llm, graph, tools));
        await first.InitializeAsync();
        var tenant = await first.TenantAsync();
        var conversation = await first.PastConversationAsync(tenant.Id, "Marta", "Hola", "¡Hola!", "¿Precio?", "$500", "¿Horario?", "9 a 18");
        var hold = new TaskCompletionSource();
        llm.Reply(LlmAnswer.Say("uno"), new LlmAnswer(Text: "nunca llega", Hold: hold));
        var runs = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions
            .GetRequiredService<OperatorConsole.Infrastructure.Agent.Replay.ReplayRuns>(first.Services);
        var run = await runs.StartAsync(tenant.Id, [conversation.Id], judge: false, new(null, "test"), default);
        await Eventually.TrueAsync(() => Task.FromResult(llm.ReplyRequests.Count == 2), "the second turn to reach the model");

        // The node stops while the second turn waits for the model.
        await first.DisposeAsync();
        hold.SetResult();

        var second = new NodeAppFactory(database, ReplayApp.Settings(llm, graph, tools));
        await second.InitializeAsync();
        try
        {
            var again = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions
                .GetRequiredService<OperatorConsole.Infrastructure.Agent.Replay.ReplayRuns>(second.Services);
            await Eventually.TrueAsync(async () => (await again.FindAsync(tenant.Id, run.Id, default))?.Status == ReplayRunStatus.Completed,
                "the replay to finish on the second node", TimeSpan.FromSeconds(60));
            var done = (await again.FindAsync(tenant.Id, run.Id, default))!;
            Assert.Equal(3, done.TotalTurns);
            Assert.Equal(3, done.DoneTurns);
            var turns = await again.TurnsAsync(tenant.Id, run.Id, default);
            Assert.Equal(["uno", llm.DefaultReply, llm.DefaultReply], turns.Select(t => t.DraftReply));
            // The first turn was not answered again: one call for it, the lost one, then the two the second node made.
            Assert.Equal(4, llm.ReplyRequests.Count);
            Assert.Empty(graph.Requests);
        }
        finally
        {
            await second.DisposeAsync();
            await TestDatabase.DropAsync(database);
        }
    }
}

/// <summary>Without an LLM key the replay still runs, on the offline responder, and the judge is off.</summary>
public class ReplayOfflineTests
{
    [Fact]
    public async Task Without_an_llm_key_the_offline_agent_answers_every_turn_and_no_verdict_is_asked()
    {
        var app = new NodeAppFactory(null, new Dictionary<string, string?>
        {
            ["Llm:ApiKey"] = "",
            ["Replay:PollSeconds"] = "1",
        });
        await app.InitializeAsync();
        try
        {
            var tenant = await app.TenantAsync();
            var conversation = await app.PastConversationAsync(tenant.Id, "Sin clave", "Hola, ¿qué horario tienen?", "De 9 a 18.");
            var runs = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions
                .GetRequiredService<OperatorConsole.Infrastructure.Agent.Replay.ReplayRuns>(app.Services);
            var run = await runs.StartAsync(tenant.Id, [conversation.Id], judge: true, new(null, "test"), default);
            Assert.False(run.Judge);
            await Eventually.TrueAsync(async () => (await runs.FindAsync(tenant.Id, run.Id, default))?.Status == ReplayRunStatus.Completed,
                "the offline replay to finish", TimeSpan.FromSeconds(60));
            var turn = Assert.Single(await runs.TurnsAsync(tenant.Id, run.Id, default));
            Assert.True(turn.Offline);
            Assert.False(string.IsNullOrWhiteSpace(turn.DraftReply));
            Assert.Equal("De 9 a 18.", turn.LiveReply);
            Assert.Null(turn.Verdict);
        }
        finally
        {
            await app.DisposeAsync();
        }
    }
}
