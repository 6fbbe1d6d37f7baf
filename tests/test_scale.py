from medpath.scale import SUMMARY_ABOVE, summary_first


def test_the_pilot_is_drawn_patient_by_patient_and_a_larger_study_leads_with_its_summary():
    assert SUMMARY_ABOVE == 30
    assert not summary_first(5) and not summary_first(30)
    assert summary_first(31) and summary_first(5000)
