using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Tenants;

namespace OperatorConsole.Infrastructure.Data.Configurations;

public sealed class BookableResourceConfiguration : IEntityTypeConfiguration<BookableResource>
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public void Configure(EntityTypeBuilder<BookableResource> b)
    {
        b.ToTable("bookable_resources");
        b.Property(r => r.Name).HasMaxLength(100);
        b.Property(r => r.Weekly).HasColumnType("jsonb").HasConversion(
            h => h == null ? null : JsonSerializer.Serialize(h.Intervals, Json),
            s => s == null ? null : new BusinessHours(JsonSerializer.Deserialize<List<OpeningInterval>>(s, Json) ?? new List<OpeningInterval>()),
            new ValueComparer<BusinessHours?>((x, y) => Text(x) == Text(y), h => Text(h).GetHashCode(), h => h));
        b.Property(r => r.BlockedDates).HasConversion(l => l.ToArray(), a => a.ToList(), Dates()).HasColumnType("date[]");
        b.HasIndex(r => new { r.TenantId, r.Name }).IsUnique();
        // One default resource per tenant: the lazy creation races on this index, not on a prior lookup.
        b.HasIndex(r => r.TenantId).IsUnique().HasFilter("is_default").HasDatabaseName("ix_bookable_resources_one_default");
        b.HasOne<Tenant>().WithMany().HasForeignKey(r => r.TenantId).OnDelete(DeleteBehavior.Cascade);
    }

    private static string Text(BusinessHours? h) => h is null ? "" : JsonSerializer.Serialize(h.Intervals, Json);

    internal static ValueComparer<IReadOnlyList<DateOnly>> Dates() => new(
        (x, y) => x!.SequenceEqual(y!), l => l.Aggregate(0, (h, e) => HashCode.Combine(h, e)), l => l.ToList());
}

public sealed class AvailabilitySettingsConfiguration : IEntityTypeConfiguration<AvailabilitySettings>
{
    public void Configure(EntityTypeBuilder<AvailabilitySettings> b)
    {
        b.ToTable("availability_settings");
        b.HasKey(s => s.TenantId);
        b.Property(s => s.BlockedDates).HasConversion(l => l.ToArray(), a => a.ToList(), BookableResourceConfiguration.Dates()).HasColumnType("date[]");
        b.HasOne<Tenant>().WithMany().HasForeignKey(s => s.TenantId).OnDelete(DeleteBehavior.Cascade);
    }
}
