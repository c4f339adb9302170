use crate::ReportInput;

pub(crate) fn render(_input: &ReportInput<'_>) -> String {
    String::new()
}
