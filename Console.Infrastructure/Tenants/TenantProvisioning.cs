using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Platform;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Identity;
using OperatorConsole.Infrastructure.Platform;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Tenants;

public sealed record NewTenant(string Name, string Slug, Plan Plan, string OwnerEmail, string? OwnerPassword, string? OwnerName = null);

public sealed record ProvisionedTenant(Guid Id, string Slug, Guid OwnerUserId, bool OwnerCreated);

/// <summary>Raised for a request that conflicts with existing state (duplicate slug, number already connected). Maps to 409.</summary>
public sealed class ConflictException(string code, string message, params object?[] args) : Exception(message)
{
    public string Code { get; } = code;
    public IReadOnlyList<object?> Args { get; } = args;
}

/// <summary>Creates a tenant with its owner. The slug's unique index decides races, not a prior lookup.</summary>
public sealed class TenantProvisioning(
    ContextScopes scopes,
    UserManager<ApplicationUser> users,
    SystemEventWriter events,
    TimeProvider clock)
{
    public async Task<ProvisionedTenant> CreateAsync(NewTenant request, string actor, CancellationToken ct = default)
    {
        var now = clock.GetUtcNow();
        var tenant = Tenant.Create(request.Name, request.Slug, request.Plan, now);
        var email = request.OwnerEmail?.Trim() ?? "";
        if (!System.Net.Mail.MailAddress.TryCreate(email, out _))
            throw new DomainException("tenant.ownerEmail", "A valid owner e-mail is required.");

        var (owner, created) = await FindOrCreateOwnerAsync(email, request.OwnerPassword, request.OwnerName, now);

        await using var work = scopes.ForSystem("tenant provisioning");
        work.Db.Tenants.Add(tenant);
        // Every workspace starts with the default pipeline, named in its language; owners rename and reorder it later.
        work.Db.PipelineStages.AddRange(Domain.Revenue.PipelineStage.Defaults(tenant.Id, tenant.DefaultCulture));
        work.Db.TenantMembers.Add(TenantMember.Create(tenant.Id, owner.Id, TenantRole.Owner, now));
        work.Db.AuditEntries.Add(AuditEntry.Create(tenant.Id, null, actor, "tenant.create", nameof(Tenant), tenant.Id.ToString(),
            $"slug={tenant.Slug} plan={tenant.Plan}", now));
        try
        {
            await work.Db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException ex) when (ex.IsUniqueViolation())
        {
            if (created) await users.DeleteAsync(owner);
            throw new ConflictException("tenant.slug_taken", $"The slug '{tenant.Slug}' is already taken.", tenant.Slug);
        }
        await events.WriteAsync(Severity.Info, "tenants", new TextRef("SystemEvent.TenantCreated", $"Tenant '{tenant.Slug}' created", tenant.Slug), tenant.Id, null, ct);
        return new ProvisionedTenant(tenant.Id, tenant.Slug, owner.Id, created);
    }

    private async Task<(ApplicationUser User, bool Created)> FindOrCreateOwnerAsync(string email, string? password, string? name,
        DateTimeOffset now)
    {
        var existing = await users.FindByEmailAsync(email);
        if (existing is not null) return (existing, false);
        var user = new ApplicationUser
        {
            Id = Guid.CreateVersion7(now),
            UserName = email,
            Email = email,
            EmailConfirmed = true,
            DisplayName = string.IsNullOrWhiteSpace(name) ? email.Split('@')[0] : name.Trim(),
            CreatedAt = now,
        };
        // Without a password the owner sets one through "forgot password"; a random one keeps the account closed until then.
        var result = await users.CreateAsync(user, string.IsNullOrEmpty(password) ? RandomPassword() : password);
        if (!result.Succeeded)
            throw new DomainException("tenant.ownerPassword", string.Join(" ", result.Errors.Select(e => e.Description)),
                string.Join(" ", result.Errors.Select(e => e.Description)));
        return (user, true);
    }

    private static string RandomPassword() => "Aa1!" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));
}
