using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Agent;
using OperatorConsole.Infrastructure.Agent.Knowledge;

namespace OperatorConsole.Tests.Agent;

/// <summary>Llm:OfflineNotice: the offline agent says it is automatic once per conversation, always, or never.</summary>
public class OfflineNoticeTests
{
    /// <summary>Nothing to read or write: these turns only fall back to the options.</summary>
    private sealed class NoEffects : ITurnEffects
    {
        public Task<IReadOnlyList<KnowledgePassage>> SearchKnowledgeAsync(string query, int limit, CancellationToken ct) => Task.FromResult<IReadOnlyList<KnowledgePassage>>([]);
        public Task<string> UpdateLeadAsync(LeadUpdate update, CancellationToken ct) => Task.FromResult("");
        public Task<IReadOnlyList<DateTimeOffset>> FreeSlotsAsync(DateOnly from, DateOnly to, CancellationToken ct) => Task.FromResult<IReadOnlyList<DateTimeOffset>>([]);
        public Task<BookingOutcome> BookAsync(DateTimeOffset start, string? name, string? email, string? notes, CancellationToken ct) => throw new InvalidOperationException();
        public Task<string> CreatePaymentLinkAsync(Product product, int quantity, decimal? customAmount, CancellationToken ct) => throw new InvalidOperationException();
        public Task<(bool Allowed, decimal Max)> CustomAmountRuleAsync(CancellationToken ct) => Task.FromResult((false, 0m));
        public Task<Product?> FindProductAsync(string name, CancellationToken ct) => Task.FromResult<Product?>(null);
        public Task<IReadOnlyList<Product>> ActiveProductsAsync(CancellationToken ct) => Task.FromResult<IReadOnlyList<Product>>([]);
        public Task<AgentFile?> FindFileAsync(string name, CancellationToken ct) => Task.FromResult<AgentFile?>(null);
        public Task<IReadOnlyList<string>> FileNamesAsync(CancellationToken ct) => Task.FromResult<IReadOnlyList<string>>([]);
    }

    private static async Task<string> ReplyAsync(OfflineNoticeMode mode, bool firstReply = false)
    {
        var now = DateTimeOffset.UtcNow;
        var profile = AgentProfile.CreateDefault(Guid.NewGuid(), "Sonrisa", now);
        var lead = new LeadSnapshot("Ana", null, null, null, "New", 50, "Warm", new Dictionary<string, string>(), null);
        List<TurnMessage> history =
        [
            new(MessageSender.Contact, "hola", now.AddMinutes(-2)),
            new(MessageSender.Bot, "¡Hola! Soy el asistente automático de Sonrisa.\n\n¿En qué te puedo ayudar?", now.AddMinutes(-1)),
            new(MessageSender.Contact, "¿tienen estacionamiento para bicicletas?", now),
        ];
        if (firstReply) history = [history[^1]];
        var input = new TurnInput(profile.TenantId, Guid.NewGuid(), "Sonrisa", "es", profile, lead, ChannelKind.WhatsApp, history,
            [history[^1].Text], 2, 0, LlmFeature.Reply, now, []);
        var result = new TurnResult { Language = "es" };
        await new OfflineAgent(mode).RunAsync(input, result, new NoEffects(), default);
        return Assert.Single(result.Replies).Buttons!.Body;
    }

    [Fact]
    public async Task Once_says_it_is_automatic_only_in_the_first_reply() =>
        Assert.DoesNotContain("asistente automático", await ReplyAsync(OfflineNoticeMode.Once));

    [Fact]
    public async Task Always_says_it_in_every_reply() =>
        Assert.StartsWith("¡Hola! Soy el asistente automático de Sonrisa.\n\n", await ReplyAsync(OfflineNoticeMode.Always));

    [Fact]
    public async Task Never_does_not_say_it_even_in_the_first_reply() =>
        Assert.DoesNotContain("asistente automático", await ReplyAsync(OfflineNoticeMode.Never, firstReply: true));

    [Fact]
    public async Task Once_says_it_in_the_first_reply() =>
        Assert.StartsWith("¡Hola! Soy el asistente automático de Sonrisa.\n\n", await ReplyAsync(OfflineNoticeMode.Once, firstReply: true));
}
