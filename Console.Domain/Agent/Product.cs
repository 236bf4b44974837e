using OperatorConsole.Domain.Common;

namespace OperatorConsole.Domain.Agent;

/// <summary>
/// Something the business sells at a set price. <c>send_payment_link</c> charges only these prices: the model names
/// the product, the business's catalogue decides the amount, so a customer cannot talk the agent into a discount.
/// </summary>
public sealed class Product : ITenantOwned
{
    public const decimal MaxPrice = 1_000_000m;

    private Product() { }

    public Guid Id { get; private set; }
    public Guid TenantId { get; private set; }
    public string Name { get; private set; } = "";
    public string? Description { get; private set; }

    /// <summary>In major units (450.00 MXN), two decimals.</summary>
    public decimal Price { get; private set; }

    /// <summary>ISO 4217, upper case.</summary>
    public string Currency { get; private set; } = "";

    /// <summary>A picture of it (https only), shown on the checkout page.</summary>
    public string? ImageUrl { get; private set; }

    /// <summary>Only active products can be charged.</summary>
    public bool Active { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset UpdatedAt { get; private set; }

    public static Product Create(Guid tenantId, string? name, string? description, decimal price, string? currency, bool active, DateTimeOffset now)
    {
        var product = new Product { Id = Guid.CreateVersion7(now), TenantId = tenantId, CreatedAt = now };
        product.Update(name, description, price, currency, active, now);
        return product;
    }

    public void Update(string? name, string? description, decimal price, string? currency, bool active, DateTimeOffset now)
    {
        name = name?.Trim() ?? "";
        description = string.IsNullOrWhiteSpace(description) ? null : description.Trim();
        currency = (currency ?? "").Trim().ToUpperInvariant();
        if (name.Length is 0 or > 120) throw new DomainException("product.name", "A product needs a name (at most 120 characters).");
        if (description is { Length: > 1000 }) throw new DomainException("product.description", "The description is at most 1000 characters.");
        if (price <= 0 || price > MaxPrice) throw new DomainException("product.price", "The price must be positive (at most 1,000,000).");
        if (decimal.Round(price, 2) != price) throw new DomainException("product.price_decimals", "The price has at most two decimals (e.g. 450.00).");
        if (currency.Length != 3 || !currency.All(char.IsAsciiLetterUpper))
            throw new DomainException("product.currency", "The currency is a three-letter ISO code such as MXN or USD.");
        Name = name;
        Description = description;
        Price = price;
        Currency = currency;
        Active = active;
        UpdatedAt = now;
    }

    /// <summary>
    /// The product's picture as an absolute https URL (or none). Only https: Stripe shows it to the customer and our
    /// pages must never link a customer to plain http or to a script URL.
    /// </summary>
    public void SetImage(string? url, DateTimeOffset now)
    {
        url = string.IsNullOrWhiteSpace(url) ? null : url.Trim();
        if (url is not null && (url.Length > 500 || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps
                                || string.IsNullOrEmpty(uri.Host) || !string.IsNullOrEmpty(uri.UserInfo)))
            throw new DomainException("product.image", "The image is an https:// address of a picture (at most 500 characters).");
        ImageUrl = url;
        UpdatedAt = now;
    }
}
