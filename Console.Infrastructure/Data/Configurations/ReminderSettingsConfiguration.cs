using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Tenants;

namespace OperatorConsole.Infrastructure.Data.Configurations;

public sealed class ReminderSettingsConfiguration : IEntityTypeConfiguration<ReminderSettings>
{
    public void Configure(EntityTypeBuilder<ReminderSettings> b)
    {
        b.ToTable("reminder_settings");
        b.HasKey(r => r.TenantId);
        b.Property(r => r.OffsetsMinutes).HasColumnType("integer[]");
        b.Property(r => r.TemplateName).HasMaxLength(512);
        b.Property(r => r.TemplateLanguage).HasMaxLength(16);
        b.Property(r => r.Address).HasMaxLength(300);
        b.HasOne<Tenant>().WithMany().HasForeignKey(r => r.TenantId).OnDelete(DeleteBehavior.Cascade);
    }
}
