//! Masking of personal data for roles that may not see it (CS Art. 29, JN Art. 35: personal information is
//! protected; api-guidelines "Access").

/// `350203********1234`: the area code and the last four characters stay.
pub fn id_number(value: &str) -> String {
    keep_ends(value, 6, 4)
}

/// `138****5678`: the first three and last four digits stay.
pub fn phone(value: &str) -> String {
    keep_ends(value, 3, 4)
}

/// An address keeps its first six characters (district and street level), the rest becomes `****`.
pub fn address(value: &str) -> String {
    let head: String = value.chars().take(6).collect();
    if value.chars().count() <= 6 { "****".to_owned() } else { format!("{head}****") }
}

fn keep_ends(value: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() <= head + tail {
        return "*".repeat(chars.len());
    }
    let mut out: String = chars[..head].iter().collect();
    out.push_str(&"*".repeat(chars.len() - head - tail));
    out.extend(&chars[chars.len() - tail..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_id_phone_address() {
        assert_eq!(id_number("350203195001011234"), "350203********1234");
        assert_eq!(phone("13812345678"), "138****5678");
        assert_eq!(phone("123"), "***");
        assert_eq!(address("福建省厦门市思明区厦港街道大学路1号"), "福建省厦门市****");
        assert_eq!(address("思明区"), "****");
    }
}
