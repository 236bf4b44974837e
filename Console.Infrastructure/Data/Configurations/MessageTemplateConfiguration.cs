using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Templates;

namespace OperatorConsole.Infrastructure.Data.Configurations;

public sealed class MessageTemplateConfiguration : IEntityTypeConfiguration<MessageTemplate>
{
    public void Configure(EntityTypeBuilder<MessageTemplate> b)
    {
        b.ToTable("message_templates");
        b.Property(t => t.Name).HasMaxLength(512);
        b.Property(t => t.Language).HasMaxLength(16);
        b.Property(t => t.Category).HasConversion<string>().HasMaxLength(20);
        b.Property(t => t.Status).HasConversion<string>().HasMaxLength(20);
        b.Property(t => t.ComponentsJson).HasColumnType("jsonb");
        b.Property(t => t.RejectionReason).HasMaxLength(1000);
        b.Property(t => t.ProviderId).HasMaxLength(64);
        // Meta identifies a template by name + language within the WABA; sync upserts on it.
        b.HasIndex(t => new { t.TenantId, t.ChannelId, t.Name, t.Language }).IsUnique();
        b.HasOne<Channel>().WithMany().HasForeignKey(t => t.ChannelId).OnDelete(DeleteBehavior.Cascade);
    }
}
