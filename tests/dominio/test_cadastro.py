"""Registration rules: carrier codes and accounts the robot cannot download."""

import pytest

from beg_pipeline.domain.cadastro import normalizar_codigo_operadora, sem_credenciais


@pytest.mark.parametrize(("texto", "codigo"), [("Oi", "OI"), (" vivo ", "VIVO"), ("Digital Net", "DIGITALNET"),
                                               ("Embratél", "EMBRATEL"), ("net-2", "NET-2"), ("a_b", "A_B")])
def test_carrier_codes_are_folded(texto, codigo):
    assert normalizar_codigo_operadora(texto) == codigo


@pytest.mark.parametrize("texto", ["", "  ", "../../etc", "OI/VIVO", "OI\\VIVO", "..", "-OI", "OI-", "OI.", "OI;VIVO",
                                   "OI%2F", "ÖI\u200b", "A" * 31])
def test_codes_that_could_leave_a_path_or_url_segment_are_refused(texto):
    with pytest.raises(ValueError, match="operadora"):
        normalizar_codigo_operadora(texto)


def test_the_longest_code_fits_the_column():
    assert normalizar_codigo_operadora("A" * 30) == "A" * 30


@pytest.mark.parametrize(("possui_rpa", "login", "tem_senha", "esperado"), [
    (True, None, False, True), (True, "login", False, True), (True, None, True, True), (True, "  ", True, True),
    (True, "login", True, False), (False, None, False, False), (False, "login", True, False)])
def test_an_account_lacks_credentials_only_on_a_robot_carrier(possui_rpa, login, tem_senha, esperado):
    assert sem_credenciais(possui_rpa, login, tem_senha) is esperado
