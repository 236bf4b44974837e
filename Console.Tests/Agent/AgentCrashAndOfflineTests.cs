using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Tests.Fakes;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Agent;

public class AgentCrashTests
{
    [Fact]
    public async Task A_node_dying_mid_turn_leaves_the_turn_due_and_after_restart_exactly_one_reply_is_sent()
    {
        await using var llm = await FakeLlm.StartAsync();
        var database = await TestDatabase.CreateAsync();
        var first = new NodeAppFactory(database, AgentApp.Settings(llm, leaseSeconds: 2));
        await first.InitializeAsync();
        var customer = await TestCustomer.CreateAsync(first);
        var hold = new TaskCompletionSource();
        llm.Reply(new LlmAnswer(Text: "respuesta del nodo muerto", Hold: hold));
        await customer.SayAsync($"{customer.Marker} hola");
        await Eventually.TrueAsync(() => Task.FromResult(llm.ReplyRequests.Count == 1), "the first node to ask the model");

        // kill -9 stand-in: the host goes away while the model call is in flight; nothing after it runs.
        await first.DisposeAsync();
        hold.SetResult();

        var second = new NodeAppFactory(database, AgentApp.Settings(llm, leaseSeconds: 2));
        await second.InitializeAsync();
        try
        {
            var again = await TestCustomer.AttachAsync(second, customer);
            var replies = await again.WaitForBotMessagesAsync(1);
            await again.WaitUntilSettledAsync();
            Assert.Single(await again.BotMessagesAsync());
            Assert.Equal(llm.DefaultReply, replies[0].Body);
            Assert.Equal(2, llm.ReplyRequests.Count);
        }
        finally
        {
            await second.DisposeAsync();
            await TestDatabase.DropAsync(database);
        }
    }
}

public sealed class OfflineAgentApp : IAsyncLifetime
{
    public NodeAppFactory App { get; } = new(null, new Dictionary<string, string?> { ["Llm:ApiKey"] = "", ["Agent:PollMilliseconds"] = "50" });

    public Task InitializeAsync() => App.InitializeAsync();

    public Task DisposeAsync() => App.DisposeAsync();
}

public class OfflineResponderTests(OfflineAgentApp offline) : IClassFixture<OfflineAgentApp>
{
    [Fact]
    public async Task Without_an_llm_key_a_question_with_no_knowledge_gets_a_polite_answer_that_says_it_is_automatic()
    {
        var customer = await TestCustomer.CreateAsync(offline.App);
        await customer.SayAsync("¿Tienen estacionamiento para bicicletas marcianas?");
        var reply = (await customer.WaitForBotMessagesAsync(1)).Single();
        Assert.Contains("asistente automático", reply.Body);
        Assert.Contains("persona", reply.Body);
        Assert.Equal(ConversationOwner.Bot, (await customer.ConversationAsync()).Owner);
    }

    [Fact]
    public async Task Without_an_llm_key_the_best_knowledge_passage_answers_and_says_it_is_automatic()
    {
        var customer = await TestCustomer.CreateAsync(offline.App);
        await using (var work = offline.App.Scopes.ForTenant(customer.TenantId))
        {
            var kb = work.Services.GetRequiredService<OperatorConsole.Infrastructure.Agent.Knowledge.KnowledgeBase>();
            await kb.AddAsync("Precios", "Limpieza dental: $600 MXN, incluye revisión.", default);
            await kb.AddAsync("Horario", "Abrimos de lunes a viernes de 9:00 a 18:00.", default);
        }
        await customer.SayAsync("Hola, ¿cuánto cuesta la limpieza?");
        var reply = (await customer.WaitForBotMessagesAsync(1)).Single();
        // The one line that answers, after the once-per-conversation notice: not the whole document.
        Assert.EndsWith("\n\nLimpieza dental: $600 MXN, incluye revisión.", reply.Body);
        Assert.StartsWith("¡Hola! Soy el asistente automático de ", reply.Body);
        Assert.Contains(await customer.EventsAsync(), e => e.Type == ConversationEventType.KnowledgeUsed && e.Text == "Precios");
    }

    [Fact]
    public async Task Without_an_llm_key_asking_for_a_person_hands_off_in_the_customers_language()
    {
        var customer = await TestCustomer.CreateAsync(offline.App, s => s with { EscalationKeywords = [] });
        await customer.SayAsync("Hi, can I talk to a real person please?");
        var reply = (await customer.WaitForBotMessagesAsync(1)).Single();
        Assert.Contains("person on our team", reply.Body);
        var conversation = await customer.ConversationAsync();
        Assert.Equal(ConversationOwner.Unassigned, conversation.Owner);
        Assert.Equal(HandoffReason.UserRequested, conversation.HandoffReason);
    }
}
