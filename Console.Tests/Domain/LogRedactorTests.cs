using OperatorConsole.Infrastructure.Logging;

namespace OperatorConsole.Tests.Domain;

public class LogRedactorTests
{
    [Theory]
    [InlineData("from 5215512345678 received", "5215512345678")]
    [InlineData("customer +52 55 1234 5678 wrote", "+52 55 1234 5678")]
    [InlineData("owner ana.lopez@example.com signed in", "ana.lopez@example.com")]
    [InlineData("Authorization: Bearer EAAGm0PX4ZCpsBAKZCxyz123", "EAAGm0PX4ZCpsBAKZCxyz123")]
    [InlineData("key csk_Zk2nQ8fM1x7yTqW3vB9c issued", "csk_Zk2nQ8fM1x7yTqW3vB9c")]
    [InlineData("GET /media?access_token=abcdef123456", "abcdef123456")]
    public void Personal_data_and_secrets_never_reach_the_log(string line, string secret)
    {
        var redacted = LogRedactor.Redact(line);
        Assert.DoesNotContain(secret, redacted);
    }

    [Fact]
    public void A_masked_phone_keeps_its_last_four_digits_to_tell_customers_apart() =>
        Assert.Equal("from *********5678 received", LogRedactor.Redact("from 5215512345678 received"));

    [Theory]
    [InlineData("Request finished in 123.4567ms 200")]
    [InlineData("Executed DbCommand (12ms)")]
    [InlineData("Tenant 0199b2f4-5b4e-7c1a-9a2b-3c4d5e6f7a8b created")]
    public void Ordinary_lines_are_left_readable(string line) => Assert.Equal(line, LogRedactor.Redact(line));
}
