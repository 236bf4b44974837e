using Microsoft.Extensions.DependencyInjection;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Tests.Fakes;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Agent;

public class AgentTurnTests(AgentApp agent) : IClassFixture<AgentApp>
{
    private FakeLlm Llm => agent.Llm;

    private int ReplyCallsFor(TestCustomer customer) =>
        Llm.ReplyRequests.Count(r => r["messages"]!.AsArray().Any(m => (string?)m!["role"] == "user" && m!["content"]?.ToString().Contains(customer.Marker) == true));

    [Fact]
    public async Task A_burst_of_five_messages_inside_the_buffer_gets_one_llm_call_and_one_reply()
    {
        var customer = await TestCustomer.CreateAsync(agent.App, bufferSeconds: 3);
        // A burst arrives as separate deliveries within moments of each other.
        await Task.WhenAll(Enumerable.Range(1, 5).Select(i => customer.SayAsync($"{customer.Marker} parte {i}")));

        var replies = await customer.WaitForBotMessagesAsync(1);
        await customer.WaitUntilSettledAsync();

        Assert.Single(await customer.BotMessagesAsync());
        Assert.Equal(1, ReplyCallsFor(customer));
        var call = Llm.ReplyRequests.Single(r => r.ToJsonString().Contains(customer.Marker));
        var seen = string.Join("\n", call["messages"]!.AsArray().Where(m => (string?)m!["role"] == "user").Select(m => m!["content"]!.ToString()));
        for (var i = 1; i <= 5; i++) Assert.Contains($"parte {i}", seen);
        Assert.Equal(Llm.DefaultReply, replies[0].Body);
    }

    [Fact]
    public async Task Duplicate_webhooks_of_one_message_give_one_reply()
    {
        var customer = await TestCustomer.CreateAsync(agent.App);
        var text = $"{customer.Marker} hola";
        var wamid = await customer.SayAsync(text);
        for (var i = 0; i < 4; i++) (await customer.RepostAsync(text, wamid)).EnsureSuccessStatusCode();

        await customer.WaitForBotMessagesAsync(1);
        await customer.WaitUntilSettledAsync();

        Assert.Single(await customer.BotMessagesAsync());
        Assert.Equal(1, ReplyCallsFor(customer));
    }

    [Fact]
    public async Task Customers_writing_at_the_same_time_are_answered_in_parallel_not_one_model_call_after_another()
    {
        // Eight customers of eight businesses write at once, and the model holds every answer until all eight questions
        // have reached it: that only happens if the node runs their turns side by side (a real model takes seconds each).
        var customers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => TestCustomer.CreateAsync(agent.App)));
        var hold = new TaskCompletionSource();
        Llm.Reply(customers.Select(_ => new LlmAnswer(Text: "¡Hola! Enseguida te ayudo.", Hold: hold)).ToArray());
        await Task.WhenAll(customers.Select(c => c.SayAsync($"{c.Marker} hola, ¿tienen cita hoy?")));

        try
        {
            await Eventually.GetAsync(() => Task.FromResult(customers.Count(c => ReplyCallsFor(c) == 1)), n => n == customers.Length,
                "all eight questions at the model at once (the value: how many were)");
        }
        finally
        {
            hold.TrySetResult(); // held answers left behind would stall the next tests' turns
        }

        foreach (var customer in customers)
        {
            await customer.WaitForBotMessagesAsync(1);
            await customer.WaitUntilSettledAsync();
            Assert.Single(await customer.BotMessagesAsync());
            Assert.Equal(1, ReplyCallsFor(customer));
        }
    }

    [Fact]
    public async Task A_human_taking_over_while_the_model_thinks_means_the_bot_reply_is_never_sent()
    {
        var customer = await TestCustomer.CreateAsync(agent.App);
        var hold = new TaskCompletionSource();
        Llm.Reply(new LlmAnswer(Text: "respuesta que nunca debe salir", Hold: hold));
        await customer.SayAsync($"{customer.Marker} necesito ayuda");
        await Eventually.TrueAsync(() => Task.FromResult(ReplyCallsFor(customer) == 1), "the model to be asked");

        await using (var work = agent.App.Scopes.ForTenant(customer.TenantId))
        {
            var conversation = await work.Db.Conversations.SingleAsync();
            var member = await work.Db.TenantMembers.FirstAsync();
            conversation.TakeOver(member.Id);
            await work.Db.SaveChangesAsync();
        }
        hold.SetResult();
        await customer.WaitUntilSettledAsync();

        Assert.Empty(await customer.BotMessagesAsync());
        var conversationAfter = await customer.ConversationAsync();
        Assert.Equal(ConversationOwner.Human, conversationAfter.Owner);
    }

    [Fact]
    public async Task A_message_arriving_while_the_model_thinks_is_answered_in_one_later_turn_that_sees_both()
    {
        var customer = await TestCustomer.CreateAsync(agent.App);
        var hold = new TaskCompletionSource();
        Llm.Reply(new LlmAnswer(Text: "respuesta vieja", Hold: hold));
        await customer.SayAsync($"{customer.Marker} primero");
        await Eventually.TrueAsync(() => Task.FromResult(ReplyCallsFor(customer) == 1), "the first model call");
        await customer.SayAsync($"{customer.Marker} segundo");
        await Eventually.TrueAsync(async () => (await customer.ConversationAsync()).UnreadCount >= 2, "the second message stored");
        hold.SetResult();

        var replies = await customer.WaitForBotMessagesAsync(1);
        await customer.WaitUntilSettledAsync();
        Assert.Single(await customer.BotMessagesAsync());
        Assert.DoesNotContain(replies, m => m.Body == "respuesta vieja");
        var last = Llm.ReplyRequests.Last(r => r.ToJsonString().Contains(customer.Marker)).ToJsonString();
        Assert.Contains("primero", last);
        Assert.Contains("segundo", last);
    }

    [Fact]
    public async Task The_llm_failing_after_retries_hands_off_with_an_empathetic_message_in_the_customers_language()
    {
        var customer = await TestCustomer.CreateAsync(agent.App);
        Llm.Reply(LlmAnswer.Fail(500), LlmAnswer.Fail(500));
        await customer.SayAsync($"Hello {customer.Marker}, what is the price of a cleaning?");

        var replies = await customer.WaitForBotMessagesAsync(1);
        await customer.WaitUntilSettledAsync();

        Assert.Contains("person on our team", replies.Single().Body);
        var conversation = await customer.ConversationAsync();
        Assert.Equal(ConversationOwner.Unassigned, conversation.Owner);
        Assert.Equal(HandoffReason.AgentError, conversation.HandoffReason);
        Assert.Equal(HandoffPriority.Urgent, conversation.Priority);
        Assert.NotNull(conversation.SlaDueAt);
        var events = await customer.EventsAsync();
        var error = Assert.Single(events, e => e.Type == ConversationEventType.AgentError);
        Assert.Contains("500", error.Text);
        // Stored as a sentence key and its values, so each reader sees it in their own language.
        var stored = OperatorConsole.Infrastructure.Platform.TextRefs.Parse(error.Data);
        Assert.Equal("AgentError.LlmStatus", stored?.Key);
        Assert.Equal("500", stored?.Args[0]);
        Assert.Contains(events, e => e.Type == ConversationEventType.HandedOff);

        // The bot stays silent afterwards: a new message is stored but not answered.
        await customer.SayAsync($"{customer.Marker} hola?");
        await customer.WaitUntilSettledAsync();
        Assert.Single(await customer.BotMessagesAsync());
    }

    [Fact]
    public async Task An_escalation_keyword_hands_off_without_asking_the_model()
    {
        var customer = await TestCustomer.CreateAsync(agent.App);
        await customer.SayAsync($"{customer.Marker} QUIERO UN HUMANO ya");

        var replies = await customer.WaitForBotMessagesAsync(1);
        await customer.WaitUntilSettledAsync();
        Assert.Contains("persona de nuestro equipo", replies.Single().Body);
        Assert.Equal(0, ReplyCallsFor(customer));
        Assert.Equal(HandoffReason.Keyword, (await customer.ConversationAsync()).HandoffReason);
    }

    [Fact]
    public async Task The_system_prompt_has_the_tenants_variables_rendered_and_the_token_usage_is_recorded_with_its_cost()
    {
        var customer = await TestCustomer.CreateAsync(agent.App, s => s with
        {
            SystemPrompt = "Eres el asistente de {{business_name}}. Cliente: {{contact_name}}. Abierto: {{is_open}}. Hora: {{now}}. {{desconocida}}",
            TimeZone = "America/Bogota",
        });
        await customer.SayAsync($"{customer.Marker} hola");
        await customer.WaitForBotMessagesAsync(1);
        await customer.WaitUntilSettledAsync();

        var call = Llm.ReplyRequests.Last(r => r.ToJsonString().Contains(customer.Marker));
        var system = call["messages"]!.AsArray().First(m => (string?)m!["role"] == "system")!["content"]!.ToString();
        Assert.Contains("Cliente: Ana.", system);
        Assert.Contains("Abierto: abierto.", system);
        Assert.Contains("America/Bogota", system);
        Assert.DoesNotContain("{{", system);
        Assert.NotNull(call["tools"]);
        var tools = call["tools"]!.AsArray().Select(t => (string?)t!["function"]!["name"]).ToList();
        Assert.Contains("escalate_to_human", tools);
        Assert.Contains("send_options", tools);

        await using var work = agent.App.Scopes.ForTenant(customer.TenantId);
        var usage = await Eventually.GetAsync(() => work.Db.TokenUsage.AsNoTracking().ToListAsync(), u => u.Count >= 2, "reply and analysis usage");
        var reply = usage.Single(u => u.Feature == LlmFeature.Reply);
        Assert.Equal("gpt-4o", reply.Model);
        Assert.Equal(120, reply.InputTokens);
        Assert.Equal(30, reply.OutputTokens);
        Assert.Equal((120 * 2.50m + 30 * 10.00m) / 1_000_000m, reply.EstimatedCost);
        Assert.Contains(usage, u => u.Feature == LlmFeature.Analysis && u.Model == "gpt-4o-mini");
    }

    [Fact]
    public async Task A_file_the_owner_uploads_is_listed_in_the_next_turns_prompt_with_what_it_is_and_when_to_send_it()
    {
        var customer = await TestCustomer.CreateAsync(agent.App);
        await customer.SayAsync($"{customer.Marker} hola");
        await customer.WaitForBotMessagesAsync(1);
        await customer.WaitUntilSettledAsync();
        var before = SystemPromptOf(Llm.ReplyRequests.Last(r => r.ToJsonString().Contains(customer.Marker)));
        Assert.DoesNotContain("Menú de primavera", before);

        // Uploaded after the agent's settings were cached by the first turn: the next turn must still see it.
        var files = agent.App.Services.GetRequiredService<OperatorConsole.Infrastructure.Agent.AgentFiles>();
        await using (var pdf = new MemoryStream("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"u8.ToArray()))
            await files.UploadAsync(new OperatorConsole.Infrastructure.Agent.FilesActor(customer.TenantId, null, "test"),
                new OperatorConsole.Infrastructure.Agent.FileUpload("Menú de primavera", "Platos y precios de la temporada", ["carta", "menú"], "menu.pdf", pdf));

        await customer.SayAsync($"{customer.Marker} ¿me pasas la carta?");
        await customer.WaitForBotMessagesAsync(2);
        await customer.WaitUntilSettledAsync();
        var after = SystemPromptOf(Llm.ReplyRequests.Last(r => r.ToJsonString().Contains("me pasas la carta")));
        Assert.Contains("- Menú de primavera: Platos y precios de la temporada (when the customer mentions: carta, menú)", after);
    }

    private static string SystemPromptOf(JsonNode call) =>
        call["messages"]!.AsArray().First(m => (string?)m!["role"] == "system")!["content"]!.ToString();

    [Fact]
    public async Task The_bot_stays_silent_when_the_tenant_channel_or_contact_switch_is_off()
    {
        var customer = await TestCustomer.CreateAsync(agent.App);
        await using (var work = agent.App.Scopes.ForTenant(customer.TenantId))
        {
            var tenant = await work.Db.Tenants.SingleAsync(t => t.Id == customer.TenantId);
            tenant.SetBotEnabled(false);
            await work.Db.SaveChangesAsync();
        }
        await customer.SayAsync($"{customer.Marker} hola");
        await customer.WaitUntilSettledAsync();
        Assert.Empty(await customer.BotMessagesAsync());
        Assert.Equal(0, ReplyCallsFor(customer));
    }

    [Fact]
    public async Task A_customer_over_the_per_minute_limit_has_messages_stored_and_the_bot_paused_with_a_system_event()
    {
        var customer = await TestCustomer.CreateAsync(agent.App, bufferSeconds: 3);
        for (var i = 0; i < 22; i++) await customer.SayAsync($"{customer.Marker} spam {i}");
        await using var work = agent.App.Scopes.ForTenant(customer.TenantId);
        await Eventually.TrueAsync(async () => await work.Db.Messages.CountAsync(m => m.Direction == MessageDirection.Inbound) == 22, "all 22 messages stored");
        await customer.WaitUntilSettledAsync();

        Assert.Empty(await customer.BotMessagesAsync());
        var contact = await work.Db.Contacts.SingleAsync();
        Assert.NotNull(contact.BotPausedUntil);
        Assert.Contains(await work.Db.ConversationEvents.ToListAsync(), e => e.Type == ConversationEventType.BotPaused);
        Assert.True(await work.Db.SystemEvents.AnyAsync(e => e.Source == "agent.rate_limit"));
    }

    [Fact]
    public async Task Outside_business_hours_the_bot_says_when_the_team_is_back_once_without_asking_the_model()
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById("America/Mexico_City");
        var tomorrow = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, zone).AddDays(1).DayOfWeek;
        var customer = await TestCustomer.CreateAsync(agent.App, s => s with
        {
            TimeZone = "America/Mexico_City",
            OutOfHours = OutOfHoursMode.SayWhenBack,
            BusinessHours = new BusinessHours([new OpeningInterval(tomorrow, new TimeOnly(9, 0), new TimeOnly(10, 0))]),
        });
        await customer.SayAsync($"{customer.Marker} hola, ¿están abiertos?");
        var notice = (await customer.WaitForBotMessagesAsync(1)).Single();
        await customer.WaitUntilSettledAsync();
        Assert.Contains("estamos cerrados", notice.Body);
        Assert.Contains("mañana a las 09:00", notice.Body);

        await customer.SayAsync($"{customer.Marker} ¿y mañana?");
        await customer.WaitUntilSettledAsync();
        Assert.Single(await customer.BotMessagesAsync());
        Assert.Equal(0, ReplyCallsFor(customer));
    }
}
