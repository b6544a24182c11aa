//! Every label and message of the console, in English and Vietnamese, and the choice of
//! language for a request: the `og_lang` cookie the switch sets, else `Accept-Language`.
//!
//! The texts are one struct with a field per label, so a template that names a label that
//! does not exist does not compile, and both languages must give every label.

use crate::i18n::Lang;
use crate::takedown::State as TdState;

/// The cookie the language switch sets (`vi` or `en`).
pub const LANG_COOKIE: &str = "og_lang";

macro_rules! texts {
    ($($name:ident: $en:expr, $vi:expr;)*) => {
        /// The console's labels and messages in one language.
        #[derive(Debug)]
        pub struct Texts {
            $(
                #[doc = $en]
                pub $name: &'static str,
            )*
        }

        /// English.
        pub const EN: Texts = Texts { $($name: $en,)* };
        /// Vietnamese.
        pub const VI: Texts = Texts { $($name: $vi,)* };
    };
}

texts! {
    html_lang: "en", "vi";
    app_name: "originguard console", "Bảng điều khiển originguard";
    skip_to_content: "Skip to content", "Chuyển đến nội dung";
    language: "Language", "Ngôn ngữ";
    other_language: "Tiếng Việt", "English";
    other_language_code: "vi", "en";
    signed_in_as: "Signed in as", "Đăng nhập với";
    sign_in: "Sign in", "Đăng nhập";
    sign_out: "Sign out", "Đăng xuất";
    sign_in_intro: "Sign in with your API key. The key is checked like a bearer key and is never stored; the session ends after 30 minutes without use.", "Đăng nhập bằng khóa API của bạn. Khóa được kiểm tra như khóa bearer và không bao giờ được lưu; phiên kết thúc sau 30 phút không sử dụng.";
    api_key: "API key", "Khóa API";
    signed_out: "You are signed out.", "Bạn đã đăng xuất.";
    nav: "Main navigation", "Điều hướng chính";
    nav_queue: "Registry queue", "Hàng đợi nhà đăng ký";
    nav_takedowns: "Our requests", "Yêu cầu của chúng tôi";
    nav_new: "File a takedown", "Gửi yêu cầu gỡ bỏ";
    nav_notices: "Notices", "Thông báo";
    queue_title: "Registry queue (.vn)", "Hàng đợi nhà đăng ký (.vn)";
    queue_intro: "Requests for .vn domains, oldest first.", "Yêu cầu đối với tên miền .vn, cũ nhất trước.";
    filters: "Filters", "Bộ lọc";
    filter: "Filter", "Lọc";
    state: "State", "Trạng thái";
    any: "Any", "Tất cả";
    category: "Category", "Loại vi phạm";
    target: "Target", "Đối tượng";
    target_contains: "Target contains", "Đối tượng chứa";
    filed: "Filed", "Ngày gửi";
    agency: "Agency", "Cơ quan";
    days_left: "Days left", "Số ngày còn lại";
    open: "Open", "Mở";
    next_page: "Next page", "Trang sau";
    first_page: "First page", "Trang đầu";
    nothing_here: "Nothing here.", "Không có gì ở đây.";
    request: "Request", "Yêu cầu";
    request_id: "Request id", "Mã yêu cầu";
    channel: "Channel", "Kênh";
    requested_action: "Requested action", "Biện pháp đề nghị";
    notes: "Notes", "Ghi chú";
    legal_basis: "Legal basis", "Căn cứ pháp lý";
    document_number: "Document number", "Số văn bản";
    issued_on: "Issued on", "Ngày ban hành";
    issuer: "Issuer", "Cơ quan ban hành";
    evidence: "Evidence", "Chứng cứ";
    evidence_url: "Evidence URL", "URL chứng cứ";
    sha256: "SHA-256", "SHA-256";
    captured_at: "Captured at", "Thời điểm thu thập";
    description: "Description", "Mô tả";
    resolution: "Resolution snapshot", "Ảnh chụp phân giải";
    not_resolved: "Not resolved yet.", "Chưa được phân giải.";
    name_servers: "Name servers", "Máy chủ tên miền";
    addresses: "Addresses", "Địa chỉ";
    address: "Address", "Địa chỉ";
    country: "Country", "Quốc gia";
    tls_certificate: "TLS certificate", "Chứng chỉ TLS";
    subject: "Subject", "Chủ thể";
    cert_issuer: "Issuer", "Bên cấp";
    valid_until: "Valid until", "Hiệu lực đến";
    none: "None", "Không có";
    suspension: "Suspension", "Tạm ngừng";
    suspended_until: "Suspended until", "Tạm ngừng đến";
    history: "History", "Lịch sử";
    at: "At", "Lúc";
    actor: "By", "Bởi";
    reason: "Reason", "Lý do";
    findings: "Findings (what enforcing would also hit)", "Phát hiện (những gì việc thực thi cũng ảnh hưởng)";
    decision: "Decision", "Quyết định";
    decide: "Record decision", "Ghi nhận quyết định";
    decision_suspend: "Suspend", "Tạm ngừng";
    decision_revoke: "Revoke", "Thu hồi";
    decision_reject: "Reject", "Từ chối";
    decision_reinstate: "Reinstate", "Khôi phục";
    suspend_days: "Days of suspension (for suspend)", "Số ngày tạm ngừng (khi tạm ngừng)";
    decided: "Decision recorded.", "Đã ghi nhận quyết định.";
    takedowns_title: "Our agency's requests", "Yêu cầu của cơ quan chúng tôi";
    takedowns_intro: "Newest first. Only your agency's requests are shown.", "Mới nhất trước. Chỉ hiển thị yêu cầu của cơ quan bạn.";
    at_a_glance: "At a glance", "Tổng quan";
    blocklist_compliance: "Operators' blocklist", "Danh sách chặn của nhà mạng";
    blocklist_version: "Blocklist version", "Phiên bản danh sách chặn";
    operator: "Operator", "Nhà mạng";
    acked_version: "Applied version", "Phiên bản đã áp dụng";
    versions_behind: "Versions behind", "Số phiên bản chậm";
    overdue_entries: "Overdue entries", "Mục quá hạn";
    platform_compliance: "Platforms' notices", "Thông báo tới nền tảng";
    platform: "Platform", "Nền tảng";
    open_notices: "Open", "Đang mở";
    overdue: "Overdue", "Quá hạn";
    median_hours: "Median hours to act (30 days)", "Số giờ trung vị để xử lý (30 ngày)";
    declined_30d: "Declined (30 days)", "Từ chối (30 ngày)";
    new_title: "File a takedown request", "Gửi yêu cầu gỡ bỏ";
    new_intro: "A request goes to the narrowest party that can act: a platform's notice, VNNIC for a .vn domain, otherwise the operators' blocklist. A platform's own domain or shared infrastructure is held for your review, never blocked without confirmation.", "Yêu cầu được chuyển tới bên hẹp nhất có thể xử lý: thông báo tới nền tảng, VNNIC với tên miền .vn, còn lại là danh sách chặn của nhà mạng. Tên miền của chính nền tảng hoặc hạ tầng dùng chung được giữ lại để bạn xem xét, không bao giờ bị chặn khi chưa xác nhận.";
    target_hint: "A URL, a domain, an IP address or a CIDR block.", "Một URL, tên miền, địa chỉ IP hoặc khối CIDR.";
    action_default: "Default for the channel", "Mặc định theo kênh";
    action_suspend: "Suspend (.vn)", "Tạm ngừng (.vn)";
    action_revoke: "Revoke (.vn)", "Thu hồi (.vn)";
    action_block: "Block", "Chặn";
    submit_request: "File request", "Gửi yêu cầu";
    filed_ok: "Request filed. It is routed in a moment.", "Đã gửi yêu cầu. Yêu cầu sẽ được định tuyến trong giây lát.";
    batch_title: "Batch upload (NDJSON)", "Tải lên theo lô (NDJSON)";
    batch_intro: "One request as JSON per line, as the API's batch takes them; up to 10,000 lines.", "Mỗi dòng một yêu cầu dạng JSON, như API lô; tối đa 10.000 dòng.";
    batch_file: "NDJSON file", "Tệp NDJSON";
    upload: "Upload", "Tải lên";
    batch_result: "Batch result", "Kết quả lô";
    line: "Line", "Dòng";
    accepted: "Accepted", "Chấp nhận";
    rejected: "Rejected", "Từ chối";
    withdraw: "Withdraw", "Rút yêu cầu";
    withdraw_title: "Withdraw this request", "Rút yêu cầu này";
    withdrawn_ok: "Request withdrawn.", "Đã rút yêu cầu.";
    confirm_title: "Confirm despite the collateral", "Xác nhận dù có ảnh hưởng liên đới";
    confirm_intro: "This request is held: enforcing it would also hit the parties in the findings. Confirm only when you accept that; your reason and the findings are audited.", "Yêu cầu này đang được giữ: thực thi sẽ ảnh hưởng cả các bên trong phần phát hiện. Chỉ xác nhận khi bạn chấp nhận điều đó; lý do và các phát hiện được ghi nhật ký kiểm toán.";
    accept_collateral: "I accept the collateral listed in the findings", "Tôi chấp nhận ảnh hưởng liên đới nêu trong phần phát hiện";
    confirm: "Confirm", "Xác nhận";
    confirmed_ok: "Request confirmed.", "Đã xác nhận yêu cầu.";
    notices_title: "Notices to your platform", "Thông báo tới nền tảng của bạn";
    notices_intro: "Oldest first. Act on each notice before it is due.", "Cũ nhất trước. Hãy xử lý mỗi thông báo trước hạn.";
    account: "Account", "Tài khoản";
    notified_at: "Notified", "Ngày thông báo";
    due_at: "Due", "Hạn";
    lock_recommendation: "Lock recommended", "Đề nghị khóa";
    account_record: "Account's upheld notices (30 / 90 days)", "Thông báo bị xác nhận của tài khoản (30 / 90 ngày)";
    outcome: "Outcome", "Kết quả";
    outcome_removed: "Removed", "Đã gỡ bỏ";
    outcome_locked: "Account locked", "Đã khóa tài khoản";
    outcome_declined: "Declined", "Từ chối";
    lock_days: "Lock days (empty: permanent)", "Số ngày khóa (để trống: vĩnh viễn)";
    reason_optional: "Reason (required when declining)", "Lý do (bắt buộc khi từ chối)";
    report_outcome: "Report outcome", "Báo cáo kết quả";
    outcome_ok: "Outcome recorded.", "Đã ghi nhận kết quả.";
    error_title: "Something is wrong", "Có lỗi";
    problems: "Problems", "Vấn đề";
    field: "Field", "Trường";
    back: "Back", "Quay lại";
    csrf_refused: "This form was refused: it did not carry this session's security token. Reload the page and try again.", "Biểu mẫu bị từ chối: không mang mã bảo mật của phiên này. Hãy tải lại trang và thử lại.";
    no_pages_for_role: "The console has no pages for this key's role.", "Bảng điều khiển không có trang cho vai trò của khóa này.";
    unknown_key: "This key is not known.", "Khóa này không được nhận diện.";
    key_expired: "This key has expired.", "Khóa này đã hết hạn.";
    session_over: "Your session has ended; sign in again.", "Phiên của bạn đã kết thúc; hãy đăng nhập lại.";
    rate_limited: "Too many requests for this key; wait a moment and try again.", "Quá nhiều yêu cầu cho khóa này; hãy đợi một chút rồi thử lại.";
    not_found: "Not found.", "Không tìm thấy.";
    yes: "yes", "có";
    no: "no", "không";
}

impl Texts {
    /// The texts of `lang`.
    pub fn of(lang: Lang) -> &'static Texts {
        match lang {
            Lang::En => &EN,
            Lang::Vi => &VI,
        }
    }

    /// A state's name for people (the machine name stays beside it in the pages).
    pub fn state(&self, state: TdState) -> &'static str {
        let vi = self.html_lang == "vi";
        let (en, vi_text) = match state {
            TdState::Received => ("received", "đã nhận"),
            TdState::Routed => ("routed", "đã định tuyến"),
            TdState::PendingReview => ("pending review", "chờ xem xét"),
            TdState::Suspended => ("suspended", "tạm ngừng"),
            TdState::Revoked => ("revoked", "thu hồi"),
            TdState::Reinstated => ("reinstated", "khôi phục"),
            TdState::Rejected => ("rejected", "từ chối"),
            TdState::Blocked => ("blocked", "đã chặn"),
            TdState::Lifted => ("lifted", "đã gỡ chặn"),
            TdState::Withdrawn => ("withdrawn", "đã rút"),
            TdState::PendingPlatform => ("pending platform", "chờ nền tảng"),
            TdState::Removed => ("removed", "đã gỡ bỏ"),
            TdState::AccountLocked => ("account locked", "đã khóa tài khoản"),
            TdState::Declined => ("declined", "nền tảng từ chối"),
            TdState::NeedsReview => ("needs review", "cần xem xét"),
        };
        if vi {
            vi_text
        } else {
            en
        }
    }
}

impl Texts {
    /// A category's name for people, from its code.
    pub fn category(&self, code: &str) -> &'static str {
        let vi = self.html_lang == "vi";
        let (en, vi_text) = match code {
            "counterfeit" => ("counterfeit goods", "hàng giả"),
            "smuggled" => ("smuggled goods", "hàng nhập lậu"),
            "ip_infringement" => ("IP infringement", "xâm phạm sở hữu trí tuệ"),
            "prohibited_goods" => ("prohibited goods", "hàng cấm"),
            "unlicensed_trading" => ("unlicensed trading", "kinh doanh không phép"),
            _ => ("other", "khác"),
        };
        if vi {
            vi_text
        } else {
            en
        }
    }
}

impl Texts {
    /// A channel's, requested action's or lock recommendation's name for people, from its
    /// code (an unknown code is shown as it is).
    pub fn value<'a>(&self, code: &'a str) -> &'a str {
        let vi = self.html_lang == "vi";
        let (en, vi_text) = match code {
            "registry" => ("VNNIC (the registry)", "VNNIC (nhà đăng ký)"),
            "operators" => ("operators' blocklist", "danh sách chặn của nhà mạng"),
            "platform" => ("notice to the platform", "thông báo tới nền tảng"),
            "suspend" => ("suspend", "tạm ngừng"),
            "revoke" => ("revoke", "thu hồi"),
            "block" => ("block", "chặn"),
            "temporary" => ("temporary lock", "khóa tạm thời"),
            "permanent" => ("permanent lock", "khóa vĩnh viễn"),
            _ => return code,
        };
        if vi {
            vi_text
        } else {
            en
        }
    }
}

/// The language of a console request: the switch's cookie when it names one, else
/// `Accept-Language` (Vietnamese when asked for first, English otherwise).
pub fn pick_lang(cookie: Option<&str>, accept_language: Option<&str>) -> Lang {
    match cookie {
        Some("vi") => Lang::Vi,
        Some("en") => Lang::En,
        _ => Lang::from_accept_language(accept_language),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_switch_wins_over_accept_language() {
        assert_eq!(pick_lang(Some("vi"), Some("en-US")), Lang::Vi);
        assert_eq!(pick_lang(Some("en"), Some("vi-VN")), Lang::En);
        assert_eq!(pick_lang(None, Some("vi-VN,en;q=0.5")), Lang::Vi);
        assert_eq!(pick_lang(Some("fr"), Some("vi")), Lang::Vi);
        assert_eq!(pick_lang(Some("<script>"), None), Lang::En);
        assert_eq!(pick_lang(None, None), Lang::En);
    }

    #[test]
    fn every_state_has_a_name_in_both_languages() {
        for state in [
            TdState::PendingReview,
            TdState::NeedsReview,
            TdState::Declined,
        ] {
            assert_ne!(EN.state(state), VI.state(state));
        }
        assert_eq!(VI.state(TdState::Suspended), "tạm ngừng");
        assert_eq!(VI.value("operators"), "danh sách chặn của nhà mạng");
        assert_eq!(EN.value("temporary"), "temporary lock");
        assert_eq!(EN.value("something_new"), "something_new");
    }
}
