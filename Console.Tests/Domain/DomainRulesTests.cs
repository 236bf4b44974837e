using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Tenants;

namespace OperatorConsole.Tests.Domain;

public class DomainRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("5215512345678", "+525512345678")] // WhatsApp wa_id of a Mexican mobile (legacy "1" dropped)
    [InlineData("14155550123", "+14155550123")] // wa_id: digits with country code, no '+'
    [InlineData("+52 55 1234 5678", "+525512345678")]
    [InlineData("55 1234 5678", "+525512345678")] // local Mexican number, default region MX
    [InlineData("+1 (415) 555-0123", "+14155550123")]
    public void Phone_numbers_are_normalized_to_E164(string raw, string expected) =>
        Assert.Equal(expected, PhoneNumberNormalizer.ToE164(raw));

    [Theory]
    [InlineData("")]
    [InlineData("hello")]
    [InlineData("123")]
    public void Garbage_is_not_a_phone_number(string raw) => Assert.Null(PhoneNumberNormalizer.ToE164(raw));

    [Theory]
    [InlineData("Demo", "demo")]
    [InlineData("  clinica-sonrisa ", "clinica-sonrisa")]
    public void Slugs_are_normalized(string raw, string expected) => Assert.Equal(expected, Tenant.NormalizeSlug(raw));

    [Theory]
    [InlineData("a")]
    [InlineData("-demo")]
    [InlineData("demo--x")]
    [InlineData("demo_x")]
    [InlineData("demo/../x")]
    public void Bad_slugs_are_refused_with_a_reason(string raw)
    {
        var ex = Assert.Throws<DomainException>(() => Tenant.NormalizeSlug(raw));
        Assert.Equal("tenant.slug", ex.Code);
    }

    [Theory]
    [InlineData(100, LeadTemperature.Hot)]
    [InlineData(70, LeadTemperature.Hot)]
    [InlineData(69, LeadTemperature.Warm)]
    [InlineData(40, LeadTemperature.Warm)]
    [InlineData(39, LeadTemperature.Cold)]
    public void Temperature_follows_the_score(int score, LeadTemperature expected)
    {
        var contact = Contact.Create(Guid.NewGuid(), "Ana", null, Now);
        contact.SetScore(score, null, DateTimeOffset.UtcNow);
        Assert.Equal(expected, contact.Temperature);
    }

    [Fact]
    public void Each_score_lies_in_the_score_range_of_its_temperature_and_in_no_other()
    {
        // The leads filter reads a temperature as its score range (LeadQueries), so the two must never disagree.
        foreach (var score in Enumerable.Range(0, 101))
            foreach (var temperature in Enum.GetValues<LeadTemperature>())
            {
                var (low, high) = Contact.ScoreRange(temperature);
                Assert.Equal(Contact.TemperatureFor(score) == temperature, score >= low && score <= high);
            }
    }

    [Fact]
    public void A_new_lead_starts_warm_at_50_and_the_score_stays_within_0_to_100()
    {
        var contact = Contact.Create(Guid.NewGuid(), "Ana", "5215512345678", Now);
        Assert.Equal((50, LeadTemperature.Warm), (contact.Score, contact.Temperature));
        contact.AdjustScore(+80, null, DateTimeOffset.UtcNow);
        Assert.Equal(100, contact.Score);
        contact.AdjustScore(-500, null, DateTimeOffset.UtcNow);
        Assert.Equal((0, LeadTemperature.Cold), (contact.Score, contact.Temperature));
    }

    [Fact]
    public void Delivery_status_never_moves_backwards_and_failure_is_final()
    {
        var conversation = Conversation.Start(Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Now);
        var message = Message.Outbound(conversation, MessageSender.Bot, null, MessageType.Text, "hola", null, Now);
        message.MarkSent("wamid.1");
        Assert.True(message.AdvanceStatus(DeliveryStatus.Read));
        Assert.False(message.AdvanceStatus(DeliveryStatus.Delivered)); // arrived late: ignored
        Assert.Equal(DeliveryStatus.Read, message.Status);
        Assert.True(message.AdvanceStatus(DeliveryStatus.Failed, "131026", "Message undeliverable"));
        Assert.False(message.AdvanceStatus(DeliveryStatus.Read));
        Assert.Equal(("131026", DeliveryStatus.Failed), (message.ErrorCode, message.Status));
    }

    [Fact]
    public void Taking_over_cancels_a_pending_agent_turn_and_silences_the_bot()
    {
        var conversation = Conversation.Start(Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Now);
        conversation.ScheduleAgentTurn(Now.AddSeconds(3));
        conversation.TakeOver(Guid.NewGuid());
        Assert.Null(conversation.AgentDueAt);
        conversation.ScheduleAgentTurn(Now.AddSeconds(10));
        Assert.Null(conversation.AgentDueAt);
        Assert.False(conversation.IsBotOwned);
        conversation.HandBackToBot();
        conversation.ScheduleAgentTurn(Now.AddSeconds(10));
        Assert.Equal(Now.AddSeconds(10), conversation.AgentDueAt);
    }

    [Fact]
    public void The_customer_window_is_measured_from_the_channel_timestamp_not_arrival()
    {
        var conversation = Conversation.Start(Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Now);
        var sentTwoDaysAgo = Now.AddDays(-2);
        conversation.RecordInbound(sentTwoDaysAgo, OperatorConsole.Domain.Channels.ChannelKind.WhatsApp, fromAdReferral: false, "hola");
        Assert.False(conversation.IsCustomerWindowOpen(Now));
        conversation.RecordInbound(Now.AddMinutes(-5), OperatorConsole.Domain.Channels.ChannelKind.WhatsApp, fromAdReferral: false, "sigo aquí");
        Assert.True(conversation.IsCustomerWindowOpen(Now));
        Assert.Equal(Now.AddMinutes(-5).AddHours(24), conversation.CustomerWindowExpiresAt);
    }

    [Fact]
    public void Handoff_sets_priority_and_sla_due_time()
    {
        var conversation = Conversation.Start(Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Now);
        conversation.HandOff(HandoffReason.UserRequested, HandoffPriority.Critical, Now);
        Assert.Equal(ConversationOwner.Unassigned, conversation.Owner);
        Assert.Equal(Now.AddMinutes(2), conversation.SlaDueAt);
    }
}

public class AgentHandoffNumberTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("+52 55 1234 5678", "+525512345678")]
    [InlineData("5215512345678", "+525512345678")] // as WhatsApp reports a Mexican mobile: matches the contact's stored number
    [InlineData("+57 300 123 4567", "+573001234567")]
    public void The_number_told_about_handoffs_is_stored_in_the_form_contacts_are_matched_in(string typed, string stored)
    {
        var profile = global::OperatorConsole.Domain.Agent.AgentProfile.CreateDefault(Guid.NewGuid(), "Clínica", Now);
        profile.Update(profile.Settings with { HandoffNotifyNumber = typed }, Now);
        Assert.Equal(stored, profile.HandoffNotifyNumber);
    }

    [Fact]
    public void A_number_that_is_not_a_phone_is_refused_naming_what_was_typed_and_an_empty_one_clears_it()
    {
        var profile = global::OperatorConsole.Domain.Agent.AgentProfile.CreateDefault(Guid.NewGuid(), "Clínica", Now);
        var refused = Assert.Throws<DomainException>(() => profile.Update(profile.Settings with { HandoffNotifyNumber = "llamar a Ana" }, Now));
        Assert.Equal("agent.handoff_number", refused.Code);
        Assert.Equal("llamar a Ana", Assert.Single(refused.Args));
        profile.Update(profile.Settings with { HandoffNotifyNumber = "+52 55 1234 5678" }, Now);
        profile.Update(profile.Settings with { HandoffNotifyNumber = "  " }, Now);
        Assert.Null(profile.HandoffNotifyNumber);
    }
}
