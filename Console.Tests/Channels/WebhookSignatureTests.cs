using System.Text;
using OperatorConsole.Infrastructure.Channels.Inbound;

namespace OperatorConsole.Tests.Channels;

public class WebhookSignatureTests
{
    private static readonly byte[] MetaBody = Encoding.UTF8.GetBytes("""{"object":"whatsapp_business_account","entry":[]}""");
    private const string MetaVector = "sha256=02fe0c96d28c59ddb7cf81eff0ca05809b360ba73b63c28210b5906a0a107d1f";

    [Fact]
    public void Meta_test_vector_verifies() => Assert.True(WebhookSignatures.IsValidMeta(MetaBody, MetaVector, "app_secret_123"));

    [Fact]
    public void Meta_signature_is_produced_to_the_vector() => Assert.Equal(MetaVector, WebhookSignatures.SignMeta(MetaBody, "app_secret_123"));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("sha256=")]
    [InlineData("sha1=02fe0c96d28c59ddb7cf81eff0ca05809b360ba73b63c28210b5906a0a107d1f")]
    [InlineData("sha256=02fe0c96d28c59ddb7cf81eff0ca05809b360ba73b63c28210b5906a0a107d1e")]
    [InlineData("sha256=zzfe0c96d28c59ddb7cf81eff0ca05809b360ba73b63c28210b5906a0a107d1f")]
    public void Bad_or_missing_Meta_signatures_are_refused(string? header) =>
        Assert.False(WebhookSignatures.IsValidMeta(MetaBody, header, "app_secret_123"));

    [Fact]
    public void A_body_changed_by_one_byte_is_refused()
    {
        var tampered = (byte[])MetaBody.Clone();
        tampered[^2] = (byte)'0';
        Assert.False(WebhookSignatures.IsValidMeta(tampered, MetaVector, "app_secret_123"));
    }

    [Fact]
    public void Escaped_and_raw_unicode_bodies_each_verify_against_their_own_bytes()
    {
        var escaped = Encoding.UTF8.GetBytes("""{"text":"Espa\u00f1ol"}""");
        var raw = Encoding.UTF8.GetBytes("""{"text":"Español"}""");
        Assert.True(WebhookSignatures.IsValidMeta(escaped, WebhookSignatures.SignMeta(escaped, "s"), "s"));
        Assert.False(WebhookSignatures.IsValidMeta(raw, WebhookSignatures.SignMeta(escaped, "s"), "s"));
    }

    private static readonly byte[] TikTokBody = Encoding.UTF8.GetBytes("""{"event":"im_receive_msg"}""");
    private static readonly DateTimeOffset TikTokTime = DateTimeOffset.FromUnixTimeSeconds(1700000000);
    private const string TikTokHeader = "t=1700000000,s=db77b141412f620eba0eabbbcae3fac690a787067305fea677536948d8980839";

    [Fact]
    public void TikTok_test_vector_verifies() =>
        Assert.True(WebhookSignatures.IsValidTikTok(TikTokBody, TikTokHeader, "client_secret_123", TikTokTime.AddSeconds(30), TimeSpan.FromMinutes(5)));

    [Fact]
    public void TikTok_signature_is_produced_to_the_vector() =>
        Assert.Equal(TikTokHeader, WebhookSignatures.SignTikTok(TikTokBody, "client_secret_123", TikTokTime));

    [Fact]
    public void A_stale_TikTok_delivery_is_refused_even_with_a_valid_signature() =>
        Assert.False(WebhookSignatures.IsValidTikTok(TikTokBody, TikTokHeader, "client_secret_123", TikTokTime.AddMinutes(6), TimeSpan.FromMinutes(5)));

    [Theory]
    [InlineData("t=1700000000")]
    [InlineData("s=db77b141412f620eba0eabbbcae3fac690a787067305fea677536948d8980839")]
    [InlineData("t=abc,s=db77b141412f620eba0eabbbcae3fac690a787067305fea677536948d8980839")]
    [InlineData("t=1700000000,s=db77b141412f620eba0eabbbcae3fac690a787067305fea677536948d8980838")]
    public void Malformed_TikTok_headers_are_refused(string header) =>
        Assert.False(WebhookSignatures.IsValidTikTok(TikTokBody, header, "client_secret_123", TikTokTime, TimeSpan.FromMinutes(5)));
}
