using OperatorConsole.Domain.Channels;
using OperatorConsole.App.Components.Shared;
using OperatorConsole.Infrastructure.Inbox;

namespace OperatorConsole.App.Components.Pages.Inbox;

/// <summary>What every inbox component needs to know about who is working and where; cascaded by the page.</summary>
public sealed class InboxSession
{
    public required InboxActor Actor { get; init; }
    public required IReadOnlyList<InboxMember> Members { get; set; }
    public required IReadOnlyList<InboxChannel> Channels { get; set; }
    public required TimeZoneInfo TimeZone { get; init; }
    public bool TenantBotEnabled { get; set; }

    /// <summary>The business's name, for {{business_name}} in quick replies.</summary>
    public string BusinessName { get; init; } = "";

    /// <summary>The business's conversation labels (reloaded when one is created or deleted).</summary>
    public IReadOnlyList<LabelRow> Labels { get; set; } = [];

    public Guid TenantId => Actor.TenantId;
    public Guid? MemberId => Actor.MemberId;

    public string? MemberName(Guid? memberId) => memberId is null ? null : Members.FirstOrDefault(m => m.MemberId == memberId)?.Name;

    public InboxChannel? Channel(Guid id) => Channels.FirstOrDefault(c => c.Id == id);

    public LabelRow? Label(Guid id) => Labels.FirstOrDefault(l => l.Id == id);

    public ChannelKind? ChannelKind(Guid id) => Channel(id)?.Kind;

    public DateTimeOffset Local(DateTimeOffset at) => LocalTime.In(at, TimeZone);

    /// <summary>The time of an instant in the business's zone, as the operator's language writes it.</summary>
    public string Time(DateTimeOffset at) => LocalTime.Time(at, TimeZone);

    public string Date(DateTimeOffset at) => LocalTime.Date(at, TimeZone);

    public string DateTime(DateTimeOffset at) => LocalTime.DateTime(at, TimeZone);

    public static TimeZoneInfo FindZone(string id) => LocalTime.Zone(id);
}
