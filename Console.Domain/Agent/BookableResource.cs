using OperatorConsole.Domain.Common;

namespace OperatorConsole.Domain.Agent;

/// <summary>
/// What an appointment is booked with: a person, a chair, a room. Every tenant has a default one. Its weekly hours
/// (null = the business's opening hours), slot length, buffer between appointments, lead time and horizon decide
/// which slots are offered; its blocked dates add to the tenant's holidays. Two active appointments of one resource
/// never overlap (exclusion constraint); two resources may be busy at the same time.
/// </summary>
public sealed class BookableResource : ITenantOwned
{
    private BookableResource() { }

    public Guid Id { get; private set; }
    public Guid TenantId { get; private set; }
    public string Name { get; private set; } = "";
    public bool IsDefault { get; private set; }
    public int Position { get; private set; }
    /// <summary>Weekly opening ranges (several a day allowed); null follows the business hours of the agent profile; an empty week takes no bookings.</summary>
    public BusinessHours? Weekly { get; private set; }
    public int SlotMinutes { get; private set; }
    public int BufferMinutes { get; private set; }
    public int LeadTimeHours { get; private set; }
    public int HorizonDays { get; private set; }
    public IReadOnlyList<DateOnly> BlockedDates { get; private set; } = [];
    public DateTimeOffset CreatedAt { get; private set; }

    public static BookableResource Create(Guid tenantId, string name, bool isDefault, int position, int slotMinutes, DateTimeOffset now)
    {
        var r = new BookableResource { Id = Guid.CreateVersion7(now), TenantId = tenantId, IsDefault = isDefault, Position = position, CreatedAt = now, HorizonDays = 90 };
        r.Update(name, null, slotMinutes, 0, 0, 90, []);
        return r;
    }

    public void Update(string name, BusinessHours? weekly, int slotMinutes, int bufferMinutes, int leadTimeHours, int horizonDays, IEnumerable<DateOnly> blocked)
    {
        var clean = name?.Trim() ?? "";
        if (clean.Length is 0 or > 100) throw new DomainException("resource.name", "A resource needs a name (up to 100 characters).");
        if (slotMinutes is < 5 or > 480) throw new DomainException("resource.slot", "The slot length must be between 5 and 480 minutes.");
        if (bufferMinutes is < 0 or > 240) throw new DomainException("resource.buffer", "The buffer must be between 0 and 240 minutes.");
        if (leadTimeHours is < 0 or > 720) throw new DomainException("resource.lead_time", "The lead time must be between 0 and 720 hours.");
        if (horizonDays is < 1 or > 730) throw new DomainException("resource.horizon", "The horizon must be between 1 and 730 days.");
        Name = clean;
        Weekly = weekly;
        SlotMinutes = slotMinutes;
        BufferMinutes = bufferMinutes;
        LeadTimeHours = leadTimeHours;
        HorizonDays = horizonDays;
        BlockedDates = blocked.Distinct().Order().ToList();
    }

    public void MoveTo(int position) => Position = position;

    /// <summary>Becomes the tenant's default (when the previous default was removed).</summary>
    public void MakeDefault() => IsDefault = true;

    /// <summary>The rules <see cref="Availability"/> applies, with the tenant's holidays and the business hours as fallback.</summary>
    public AvailabilityRules Rules(BusinessHours businessHours, IEnumerable<DateOnly> tenantBlocked) => new(
        Weekly?.Intervals ?? (businessHours.AlwaysOpen ? AvailabilityRules.AlwaysOpenHours : businessHours.Intervals), TimeSpan.FromMinutes(SlotMinutes), TimeSpan.FromMinutes(BufferMinutes),
        TimeSpan.FromHours(LeadTimeHours), HorizonDays, BlockedDates.Concat(tenantBlocked).ToHashSet());
}

/// <summary>
/// Tenant-wide holidays that close every resource. The zone every appointment rule is read in is the workspace's
/// time zone (the agent profile's), so business hours, appointments and follow-ups never disagree about the clock.
/// </summary>
public sealed class AvailabilitySettings : ITenantOwned
{
    private AvailabilitySettings() { }

    public Guid TenantId { get; private set; }
    public IReadOnlyList<DateOnly> BlockedDates { get; private set; } = [];

    public static AvailabilitySettings Create(Guid tenantId) => new() { TenantId = tenantId };

    public void Update(IEnumerable<DateOnly> blocked) => BlockedDates = blocked.Distinct().Order().ToList();
}

/// <summary>Everything that decides whether a slot is offered.</summary>
public sealed record AvailabilityRules(IReadOnlyList<OpeningInterval> Weekly, TimeSpan Slot, TimeSpan Buffer, TimeSpan LeadTime, int HorizonDays, IReadOnlySet<DateOnly> Blocked)
{
    /// <summary>What a business that is "always open" offers for appointments: 9–18 every day.</summary>
    public static readonly IReadOnlyList<OpeningInterval> AlwaysOpenHours =
        Enum.GetValues<DayOfWeek>().Select(d => new OpeningInterval(d, new TimeOnly(9, 0), new TimeOnly(18, 0))).ToList();

    /// <summary>For an operator: hours, holidays and overlaps still apply; lead time and horizon are for customers.</summary>
    public AvailabilityRules ForOperator() => this with { LeadTime = TimeSpan.Zero, HorizonDays = 3650 };
}
