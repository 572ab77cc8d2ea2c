"""Personal data (脱敏): personal columns, mobile numbers and 身份证 numbers are masked in shown rows."""
from dashboard.masking import mask_personal_value, mask_row, mask_text


def test_mobile_and_id_numbers_are_masked_inside_free_text():
    text = "来电人张先生 13812341234 反映，身份证 11010519491231002X，另一号码 159-0000-1111"
    masked = mask_text(text)
    assert "138****1234" in masked and "13812341234" not in masked
    assert "110105********002X" in masked and "11010519491231002X" not in masked
    assert "张先生" in masked  # free text is not a personal column: only numbers that identify are masked


def test_long_digit_runs_are_not_taken_for_phones():
    order = "工单 20240726133812345678 已受理"
    assert mask_text(order) == order
    assert mask_text("12812341234") == "12812341234"  # 12x is no mobile prefix


def test_columns_marked_personal_are_masked_whatever_they_hold():
    row = {"工单编号": "H1", "来电人": "张三丰", "联系电话": "0731-88886666", "诉求": "电话 13900001111 占线"}
    masked = mask_row(row, ["来电人", "联系电话"])
    assert masked == {"工单编号": "H1", "来电人": "张**", "联系电话": "073********66",
                      "诉求": "电话 139****1111 占线"}
    assert mask_personal_value("李") == "***" and mask_personal_value(None) == ""
    assert mask_personal_value("13812341234") == "138****1234"


def test_masking_can_be_switched_off():
    row = {"来电人": "张三丰", "电话": "13812341234", "空": None}
    assert mask_row(row, ["来电人"], enabled=False) == {"来电人": "张三丰", "电话": "13812341234", "空": ""}
