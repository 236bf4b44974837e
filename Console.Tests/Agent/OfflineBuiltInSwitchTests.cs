using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Agent;
using OperatorConsole.Infrastructure.Agent.Knowledge;

namespace OperatorConsole.Tests.Agent;

/// <summary>
/// Without a model the rule-based agent answers: the owner's built-in tool switches hold for it as they do for the
/// model. A switched-off tool is never called, and what needs it is not offered to the customer.
/// </summary>
public class OfflineBuiltInSwitchTests
{
    /// <summary>A business with free slots tomorrow and one product: every tool would work if it were allowed.</summary>
    private sealed class OpenBusiness(DateTimeOffset now) : ITurnEffects
    {
        private readonly Product _product = Product.Create(Guid.NewGuid(), "Limpieza dental", null, 600m, "MXN", true, now);
        public List<string> Calls { get; } = [];

        public Task<IReadOnlyList<KnowledgePassage>> SearchKnowledgeAsync(string query, int limit, CancellationToken ct) => Task.FromResult<IReadOnlyList<KnowledgePassage>>([]);
        public Task<string> UpdateLeadAsync(LeadUpdate update, CancellationToken ct) => Task.FromResult("");
        public Task<IReadOnlyList<DateTimeOffset>> FreeSlotsAsync(DateOnly from, DateOnly to, CancellationToken ct)
        {
            Calls.Add("slots");
            var day = from.ToDateTime(new TimeOnly(10, 0));
            return Task.FromResult<IReadOnlyList<DateTimeOffset>>([new DateTimeOffset(day, TimeSpan.Zero), new DateTimeOffset(day.AddHours(1), TimeSpan.Zero)]);
        }
        public Task<BookingOutcome> BookAsync(DateTimeOffset start, string? name, string? email, string? notes, CancellationToken ct)
        {
            Calls.Add("book");
            return Task.FromResult(new BookingOutcome(true, start, "booked"));
        }
        public Task<string> CreatePaymentLinkAsync(Product product, int quantity, decimal? customAmount, CancellationToken ct)
        {
            Calls.Add("pay");
            return Task.FromResult("https://pay.test/" + product.Id);
        }
        public Task<(bool Allowed, decimal Max)> CustomAmountRuleAsync(CancellationToken ct) => Task.FromResult((false, 0m));
        public Task<Product?> FindProductAsync(string name, CancellationToken ct) => Task.FromResult<Product?>(_product);
        public Task<IReadOnlyList<Product>> ActiveProductsAsync(CancellationToken ct) => Task.FromResult<IReadOnlyList<Product>>([_product]);
        public Task<AgentFile?> FindFileAsync(string name, CancellationToken ct) => Task.FromResult<AgentFile?>(null);
        public Task<IReadOnlyList<string>> FileNamesAsync(CancellationToken ct) => Task.FromResult<IReadOnlyList<string>>([]);
    }

    private static async Task<(TurnResult Result, OpenBusiness Effects)> TurnAsync(string customerText, params string[] disabled)
    {
        var now = DateTimeOffset.UtcNow;
        var profile = AgentProfile.CreateDefault(Guid.NewGuid(), "Sonrisa", now);
        var lead = new LeadSnapshot("Ana", null, null, null, "New", 50, "Warm", new Dictionary<string, string>(), null);
        List<TurnMessage> history = [new(MessageSender.Contact, customerText, now)];
        var input = new TurnInput(profile.TenantId, Guid.NewGuid(), "Sonrisa", "es", profile, lead, ChannelKind.WhatsApp, history,
            [customerText], 1, 0, LlmFeature.Reply, now, []) { DisabledBuiltIns = disabled };
        var result = new TurnResult { Language = "es" };
        var effects = new OpenBusiness(now);
        await new OfflineAgent(OfflineNoticeMode.Never).RunAsync(input, result, effects, default);
        return (result, effects);
    }

    /// <summary>Everything the customer would read: texts, button labels, list rows.</summary>
    private static string Said(TurnResult result) => string.Join("\n", result.Replies.Select(r =>
        r.Text ?? (r.Buttons is { } b ? b.Body + " " + string.Join(" | ", b.Buttons.Select(x => x.Title))
            : r.List is { } l ? l.Body + " " + string.Join(" | ", l.Sections.SelectMany(x => x.Rows).Select(x => x.Title)) : "")));

    [Fact]
    public async Task With_every_tool_on_an_appointment_request_gets_free_times()
    {
        var (result, effects) = await TurnAsync("Quiero agendar una cita mañana");
        Assert.Contains("slots", effects.Calls);
        Assert.Contains(result.ToolCalls, c => c.Name == "check_availability");
    }

    [Fact]
    public async Task With_booking_switched_off_an_appointment_request_is_not_offered_times_nor_booking()
    {
        var (result, effects) = await TurnAsync("Quiero agendar una cita mañana", "check_availability");
        Assert.DoesNotContain("slots", effects.Calls);
        Assert.DoesNotContain(result.ToolCalls, c => c.Name is "check_availability" or "book_appointment");
        Assert.NotEmpty(result.Replies);
        Assert.DoesNotContain("Agendar una cita", Said(result));
    }

    [Fact]
    public async Task With_payment_links_switched_off_a_customer_who_wants_to_pay_gets_no_link()
    {
        var (result, effects) = await TurnAsync("Quiero pagar la limpieza dental", "send_payment_link");
        Assert.DoesNotContain("pay", effects.Calls);
        Assert.DoesNotContain(result.ToolCalls, c => c.Name == "send_payment_link");
        Assert.DoesNotContain("https://pay.test/", Said(result));
        Assert.NotEmpty(result.Replies);
    }

    [Fact]
    public async Task With_the_handoff_switched_off_asking_for_a_person_does_not_hand_off_nor_offer_a_person()
    {
        var (result, _) = await TurnAsync("Quiero hablar con una persona", "escalate_to_human");
        Assert.Null(result.Handoff);
        Assert.DoesNotContain(result.ToolCalls, c => c.Name == "escalate_to_human");
        Assert.DoesNotContain("Hablar con persona", Said(result));
    }

    [Fact]
    public async Task With_options_switched_off_free_times_are_written_as_a_numbered_list()
    {
        var (result, _) = await TurnAsync("Quiero agendar una cita mañana", "send_options");
        var text = Assert.Single(result.Replies).Text;
        Assert.NotNull(text);
        // The two free times (in the business's zone), one per numbered line the customer can answer with.
        Assert.Matches(@"(?m)^1\. \d{2}:\d{2}$", text);
        Assert.Matches(@"(?m)^2\. \d{2}:\d{2}$", text);
    }
}
